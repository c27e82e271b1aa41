import { shellScript } from '../core/command.js';
import { strictFact, type Fact } from '../core/fact.js';

export interface OsFacts {
  id: string;
  versionId: string;
  codename: string;
  init: 'systemd' | 'sysvinit';
}

const PROBE = `. /etc/os-release
printf '%s\\n' "$ID" "$VERSION_ID" "\${VERSION_CODENAME:-}"
if [ -d /run/systemd/system ]; then echo systemd; else echo sysvinit; fi`;

/** Distribution, release and init system: read, never assumed. */
export function osFacts(): Fact<OsFacts> {
  return strictFact('os', shellScript(PROBE), (out) => {
    const [id, versionId, codename, init] = out.split('\n');
    return { id: id!, versionId: versionId!, codename: codename!, init: init === 'systemd' ? 'systemd' : 'sysvinit' };
  });
}
