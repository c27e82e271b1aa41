import { shellScript } from '../core/command.js';
import { strictFact, type Fact } from '../core/fact.js';
import { ENV_STYLE, getConfKey } from '../edit/confKey.js';
import { FILE_CONTENT_LIMIT, FileTooLarge } from './files.js';

/** What a blueprint's own files say it runs: /etc/st2/st2.conf and st2ctl's COMPONENTS. */
export interface St2NodeConfig {
  st2conf: string;
  /** COMPONENTS of /etc/default/st2ctl; undefined when unset (st2ctl then runs every component) */
  components: string[] | undefined;
}

// each file read up to one byte past the limit: more is a file too large to compare, said by name
const READ = `head -c "$1" /etc/st2/st2.conf 2>/dev/null; echo "@@st2ctl"; head -c "$1" /etc/default/st2ctl 2>/dev/null; true`;

export function st2NodeConfig(): Fact<St2NodeConfig> {
  return strictFact('st2-node-config', shellScript(READ, [String(FILE_CONTENT_LIMIT + 1)]), (out) => {
    const at = out.lastIndexOf('@@st2ctl\n');
    const st2ctl = out.slice(at + '@@st2ctl\n'.length);
    const st2conf = out.slice(0, at);
    for (const [path, text] of [['/etc/st2/st2.conf', st2conf], ['/etc/default/st2ctl', st2ctl]] as const) {
      if (Buffer.byteLength(text) > FILE_CONTENT_LIMIT) throw new FileTooLarge(path, Buffer.byteLength(text), 'reading its keys');
    }
    return { st2conf, components: componentsOf(st2ctl) };
  });
}

/** st2ctl's COMPONENTS as sh reads /etc/default/st2ctl: quotes removed, split on spaces. */
export function componentsOf(st2ctlDefaults: string): string[] | undefined {
  const value = getConfKey(st2ctlDefaults, 'COMPONENTS', ENV_STYLE);
  return value === undefined ? undefined : value.replace(/^(["'])(.*)\1$/, '$2').split(/\s+/).filter(Boolean);
}
