import { shellScript } from '../core/command.js';
import { strictFact, type Fact } from '../core/fact.js';
import { ENV_STYLE, getConfKey } from '../edit/confKey.js';

/** What a blueprint's own files say it runs: /etc/st2/st2.conf and st2ctl's COMPONENTS. */
export interface St2NodeConfig {
  st2conf: string;
  /** COMPONENTS of /etc/default/st2ctl; undefined when unset (st2ctl then runs every component) */
  components: string[] | undefined;
}

const READ = `cat /etc/st2/st2.conf 2>/dev/null; echo "@@st2ctl"; cat /etc/default/st2ctl 2>/dev/null; true`;

export function st2NodeConfig(): Fact<St2NodeConfig> {
  return strictFact('st2-node-config', shellScript(READ), (out) => {
    const at = out.lastIndexOf('@@st2ctl\n');
    const st2ctl = out.slice(at + '@@st2ctl\n'.length);
    return { st2conf: out.slice(0, at), components: componentsOf(st2ctl) };
  });
}

/** st2ctl's COMPONENTS as sh reads /etc/default/st2ctl: quotes removed, split on spaces. */
export function componentsOf(st2ctlDefaults: string): string[] | undefined {
  const value = getConfKey(st2ctlDefaults, 'COMPONENTS', ENV_STYLE);
  return value === undefined ? undefined : value.replace(/^(["'])(.*)\1$/, '$2').split(/\s+/).filter(Boolean);
}
