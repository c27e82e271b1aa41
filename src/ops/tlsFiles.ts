import type { Operation } from '../core/operation.js';
import type { Secret } from '../core/secret.js';
import { directory } from './directory.js';
import { file } from './file.js';

export interface TlsPair {
  certificate: string | Secret;
  key: Secret;
}

/** A certificate and its key in a folder: DIR/NAME.crt (0644) and DIR/NAME.key (0600, root's). */
export function tlsFiles(pair: TlsPair, options: { dir?: string; name?: string; notify?: string[] } = {}): Operation[] {
  const dir = options.dir ?? '/etc/ssl/st2';
  const name = options.name ?? 'st2';
  const notify = options.notify ?? [];
  return [
    directory(dir, { mode: '0755', owner: 'root:root' }),
    file({ path: `${dir}/${name}.crt`, content: pair.certificate, mode: '0644', owner: 'root:root', notify }),
    file({ path: `${dir}/${name}.key`, content: pair.key, mode: '0600', owner: 'root:root', notify }),
  ];
}
