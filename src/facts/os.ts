import { shellScript } from '../ssh/quote.js';
import { strictFact, type Fact } from './fact.js';

export interface OsFacts {
  id: string;
  versionId: string;
  codename: string;
  init: 'systemd' | 'sysvinit';
  /** PostgreSQL major versions with a cluster config under /etc/postgresql, highest first */
  postgresVersions: string[];
}

const PROBE = `. /etc/os-release
printf '%s\\n' "$ID" "$VERSION_ID" "\${VERSION_CODENAME:-}"
if [ -d /run/systemd/system ]; then echo systemd; else echo sysvinit; fi
ls /etc/postgresql 2>/dev/null | tr '\\n' ' '; echo`;

/** Distribution, release, init system and installed PostgreSQL versions: read, never assumed. */
export function osFacts(): Fact<OsFacts> {
  return strictFact('os', shellScript(PROBE), (out) => {
    const [id, versionId, codename, init, pg] = out.split('\n');
    const postgresVersions = (pg ?? '').trim().split(/\s+/).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a));
    return { id: id!, versionId: versionId!, codename: codename!, init: init === 'systemd' ? 'systemd' : 'sysvinit', postgresVersions };
  });
}
