import { shellScript } from '../core/command.js';
import { strictFact, type Fact } from '../core/fact.js';
import type { DeclaredPack } from '../inventory/variables.js';

/**
 * Packs installed by st2-pack-install, StackStorm's local installer: it needs neither the API
 * nor the database (`st2 pack install` runs as an action, so the pack lands on whichever
 * blueprint ran it), clones the pack into /opt/stackstorm/packs/NAME and builds its
 * virtualenv in /opt/stackstorm/virtualenvs/NAME. st2prov runs it on every blueprint and keeps
 * a record per pack of what it installed and the digest of the files it left, so a pack at
 * its declared source is not installed again, and one whose files changed since is.
 */
export const PACKS_DIR = '/opt/stackstorm/packs';
export const VIRTUALENVS_DIR = '/opt/stackstorm/virtualenvs';
export const ST2_PACK_INSTALL = '/opt/stackstorm/st2/bin/st2-pack-install';
/** outside the pack's folder, so the pack's digest is the same whether st2prov installed it or not */
export const PACK_RECORDS = '/var/lib/st2prov/packs';

/** A pack folder's digest: its files' paths and contents, Python's caches left out (st2 writes them as it runs). */
export const PACK_DIGEST = `pack_digest() { (cd ${PACKS_DIR} && find "$1" -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum | sha256sum | cut -d' ' -f1); }`;

/** What one pack folder holds, as the installer and `check` compare it. */
export interface InstalledPack {
  /** pack.yaml's version, or undefined when it has none */
  version: string | undefined;
  digest: string;
  virtualenv: boolean;
  /** what st2prov installed there last, and the digest it left; undefined when st2prov did not install it */
  record: { spec: string; digest: string } | undefined;
}

/** The lines describing a pack folder "$n" (for the fact below and consistency.ts's digests). */
export const PACK_LINES = `printf 'pack\\t%s\\t%s\\t%s\\n' "$n" "$(pack_digest "$n")" "$(grep -m1 '^version:' "${PACKS_DIR}/$n/pack.yaml" 2>/dev/null | tr -d '\\t')"
  if [ -d "${VIRTUALENVS_DIR}/$n" ]; then printf 'venv\\t%s\\n' "$n"; fi
  if [ -f "${PACK_RECORDS}/$n" ]; then printf 'record\\t%s\\t%s\\n' "$n" "$(head -n1 "${PACK_RECORDS}/$n")"; fi`;

const INSTALLED = `${PACK_DIGEST}
for n; do
  [ -d "${PACKS_DIR}/$n" ] || continue
  ${PACK_LINES}
done`;

/** The declared packs as this host has them (a pack absent from the map is not installed). */
export function installedPacks(names: readonly string[]): Fact<Map<string, InstalledPack>> {
  return strictFact(`installed-packs:${names.join(',')}`, shellScript(INSTALLED, names), parsePackLines);
}

/** `version: 1.2.0`, `version: "1.2.0"` or `version: '1.2.0' # comment` → 1.2.0 */
export function packYamlVersion(line: string): string | undefined {
  const m = /^version:\s*(?:"([^"]*)"|'([^']*)'|([^\s#]+))/.exec(line.trim());
  return m ? (m[1] ?? m[2] ?? m[3]) || undefined : undefined;
}

export function parsePackLines(out: string): Map<string, InstalledPack> {
  const packs = new Map<string, InstalledPack>();
  for (const line of out.split('\n')) {
    const [kind, name, a, ...rest] = line.split('\t');
    if (!name) continue;
    if (kind === 'pack' && a) packs.set(name, { version: packYamlVersion(rest.join('\t')), digest: a, virtualenv: false, record: undefined });
    const pack = packs.get(name);
    if (!pack) continue;
    if (kind === 'venv') pack.virtualenv = true;
    else if (kind === 'record' && a && rest[0]) pack.record = { digest: a, spec: rest[0] };
  }
  return packs;
}

/** Why a declared pack must be installed (again) on a host, or undefined when it is as declared. */
export function reinstallReason(pack: DeclaredPack, installed: InstalledPack | undefined): string | undefined {
  if (!installed) return 'not installed';
  if (!installed.record) return 'installed, but not by st2prov: its source is unknown';
  if (installed.record.spec !== pack.spec) return `installed from ${installed.record.spec}, declared ${pack.spec}`;
  if (pack.version && installed.version !== pack.version) return `its pack.yaml says version ${installed.version ?? 'none'}, declared ${pack.version}`;
  if (installed.digest !== installed.record.digest) return 'its files changed since it was installed';
  if (!installed.virtualenv) return `its virtualenv ${VIRTUALENVS_DIR}/${pack.name} is missing`;
  return undefined;
}

/**
 * Installs, then records what it installed with the digest of the files it left, written
 * whole (temp file, rename): a cut run leaves no record, and the next run installs again.
 */
export const INSTALL_AND_RECORD = `set -e
name=$1; spec=$2
${ST2_PACK_INSTALL} "$spec"
if [ ! -f "${PACKS_DIR}/$name/pack.yaml" ] || [ ! -d "${VIRTUALENVS_DIR}/$name" ]; then
  echo "st2-pack-install $spec left no ${PACKS_DIR}/$name/pack.yaml or no ${VIRTUALENVS_DIR}/$name: the pack's pack.yaml names it otherwise" >&2
  exit 1
fi
${PACK_DIGEST}
mkdir -p ${PACK_RECORDS}
printf '%s\\t%s\\n' "$(pack_digest "$name")" "$spec" >"${PACK_RECORDS}/.$name.$$"
mv -f "${PACK_RECORDS}/.$name.$$" "${PACK_RECORDS}/$name"`;
