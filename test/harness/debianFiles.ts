import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';

/**
 * A config file as Debian's postgresql package ships it: the live cluster's if one exists,
 * else the package's sample. The editor tests run on these real files.
 */
export function debianPostgresFile(name: 'postgresql.conf' | 'pg_hba.conf'): string {
  const candidates: string[] = [];
  if (existsSync('/etc/postgresql')) for (const v of readdirSync('/etc/postgresql')) candidates.push(`/etc/postgresql/${v}/main/${name}`);
  if (existsSync('/usr/share/postgresql')) for (const v of readdirSync('/usr/share/postgresql')) candidates.push(`/usr/share/postgresql/${v}/${name}.sample`);
  const found = candidates.find((c) => existsSync(c));
  assert.ok(found, `Debian’s ${name} is needed: apt-get install postgresql (.ci/run does)`);
  return readFileSync(found, 'utf8');
}
