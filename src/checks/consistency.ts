import { shellScript } from '../core/command.js';
import { strictFact, type Fact } from '../core/fact.js';
import type { ClusterCheck } from '../core/operation.js';
import type { Verdict } from '../core/results.js';
import { iniEntries } from '../edit/iniFile.js';
import { st2NodeConfig } from '../facts/st2Config.js';
import type { DeclaredPack } from '../inventory/variables.js';
import { PER_NODE_ST2_KEYS } from '../stackstorm/haRules.js';
import { PACK_DIGEST, PACK_LINES, parsePackLines, reinstallReason, type InstalledPack } from '../stackstorm/packs.js';

/**
 * What every blueprint must hold the same, compared across them: the datastore key,
 * htpasswd, the stanley key pair and its known_hosts, st2.conf but for each node's own keys,
 * the packs and the installed st2. Files are compared by digest and st2.conf key by key, so a
 * difference names the hosts and the file, key or pack, never a value. The packs of st2_packs
 * are also held to what st2-pack-install left: declared, with their virtualenv, unchanged since.
 */
export const consistencyCheck: ClusterCheck = {
  title: 'the blueprints agree',
  facts: () => [st2NodeConfig(), nodeDigests()],
  verify: (hosts, cluster) => compareNodes(hosts.map((h) => ({ name: h.name, st2conf: h.get(st2NodeConfig()).st2conf, ...h.get(nodeDigests()) })), cluster.settings.st2_packs),
};

/** One blueprint as the comparison sees it. */
export interface NodeDigests {
  /** file label → sha256, or "absent" */
  files: Map<string, string>;
  /** the installed st2 package's version, or "absent" */
  st2Version: string;
  /** pack folder → sha256 of its files (paths and contents; Python caches left out) */
  packs: Map<string, string>;
  /** pack folder → its version, virtualenv and st2prov's record of installing it */
  installed: Map<string, InstalledPack>;
}

export const SHARED_FILES: readonly (readonly [label: string, path: string])[] = [
  ['datastore key', '/etc/st2/keys/datastore_key.json'],
  ['htpasswd', '/etc/st2/htpasswd'],
  ['stanley private key', '/home/stanley/.ssh/stanley_rsa'],
  ['stanley public key', '/home/stanley/.ssh/stanley_rsa.pub'],
  ['stanley known_hosts', '/home/stanley/.ssh/known_hosts'],
];

const DIGESTS = `digest() { if [ -f "$2" ]; then printf 'file\\t%s\\t%s\\n' "$1" "$(sha256sum <"$2" | cut -d' ' -f1)"; else printf 'file\\t%s\\tabsent\\n' "$1"; fi; }
${SHARED_FILES.map(([label, path]) => `digest '${label}' ${path}`).join('\n')}
printf 'st2\\t%s\\n' "$(dpkg-query -W -f '\${Version}' st2 2>/dev/null || echo absent)"
cd /opt/stackstorm/packs 2>/dev/null || exit 0
${PACK_DIGEST}
for n in */; do
  [ -d "$n" ] || continue
  n=\${n%/}
  ${PACK_LINES}
done`;

export function nodeDigests(): Fact<NodeDigests> {
  return strictFact('st2-node-digests', shellScript(DIGESTS), parseDigests);
}

export function parseDigests(out: string): NodeDigests {
  const files = new Map<string, string>();
  let st2Version = 'absent';
  for (const line of out.split('\n')) {
    const [kind, name, value] = line.split('\t');
    if (kind === 'file' && name !== undefined && value !== undefined) files.set(name, value);
    else if (kind === 'st2' && name) st2Version = name;
  }
  const installed = parsePackLines(out);
  return { files, st2Version, packs: new Map([...installed].map(([name, p]) => [name, p.digest])), installed };
}

export interface NodeState extends NodeDigests {
  name: string;
  st2conf: string;
}

/** The verdicts of the comparison; one blueprint agrees with itself. */
export function compareNodes(nodes: readonly NodeState[], declared: readonly DeclaredPack[] = []): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const [label] of SHARED_FILES) {
    const split = groupsOf(nodes, (n) => n.files.get(label) ?? 'absent');
    verdicts.push({ check: `the same ${label} on every blueprint`, ok: split.length <= 1, detail: split.length <= 1 ? alike(nodes) : `differs: ${hostGroups(split)}` });
  }
  const versions = groupsOf(nodes, (n) => n.st2Version);
  verdicts.push({ check: 'the same st2 version on every blueprint', ok: versions.length <= 1, detail: versions.map(([v, hosts]) => `${v} on ${hosts.join(', ')}`).join('; ') || 'no blueprint' });

  const confs = nodes.map((n) => ({ name: n.name, entries: iniEntries(n.st2conf) }));
  const keys = [...new Set(confs.flatMap((c) => [...c.entries.keys()]))].filter((k) => !PER_NODE_ST2_KEYS.includes(k)).sort();
  const differing = keys.flatMap((k) => {
    const split = groupsOf(confs, (c) => c.entries.get(k) ?? '\0absent');
    return split.length > 1 ? [`[${k.slice(0, k.indexOf('.'))}] ${k.slice(k.indexOf('.') + 1)} ${hostGroups(split)}`] : [];
  });
  verdicts.push({ check: 'the same st2.conf on every blueprint, but for its own keys', ok: !differing.length, detail: differing.length ? `differs: ${listed(differing)}` : alike(nodes) });

  const packNames = [...new Set(nodes.flatMap((n) => [...n.packs.keys()]))].sort();
  const packDiffs = packNames.flatMap((p) => {
    const split = groupsOf(nodes, (n) => n.packs.get(p) ?? '\0absent');
    if (split.length <= 1) return [];
    const missing = nodes.filter((n) => !n.packs.has(p)).map((n) => n.name);
    return [`${p} ${hostGroups(split)}${missing.length ? ` (missing on ${missing.join(', ')})` : ''}`];
  });
  verdicts.push({ check: 'the same packs on every blueprint', ok: !packDiffs.length, detail: packDiffs.length ? `differs: ${listed(packDiffs)}` : `${packNames.length} pack(s) alike on ${nodes.length} blueprint(s)` });
  if (declared.length) verdicts.push(declaredPacksVerdict(nodes, declared));
  return verdicts;
}

/** Each declared pack as st2-pack-install left it on every blueprint: what apply would install again, and where. */
function declaredPacksVerdict(nodes: readonly NodeState[], declared: readonly DeclaredPack[]): Verdict {
  const problems = declared.flatMap((pack) => {
    const reasons = groupsOf(nodes.filter((n) => reinstallReason(pack, n.installed.get(pack.name))), (n) => reinstallReason(pack, n.installed.get(pack.name))!);
    const versions = groupsOf(nodes.filter((n) => n.installed.has(pack.name)), (n) => n.installed.get(pack.name)!.version ?? '\0none');
    return [
      ...reasons.map(([reason, hosts]) => `${pack.name}: ${reason} on ${hosts.join(', ')}`),
      ...(versions.length > 1 ? [`${pack.name} version ${hostGroups(versions)}`] : []),
    ];
  });
  return {
    check: 'the declared packs (st2_packs) as installed on every blueprint',
    ok: !problems.length,
    detail: problems.length ? listed(problems) : `${declared.length} pack(s) with their virtualenv, unchanged since installed, on ${nodes.length} blueprint(s)`,
  };
}

/** Hosts grouped by a value, the largest group first (then by first host), values kept. */
function groupsOf<T extends { name: string }>(items: readonly T[], valueOf: (item: T) => string): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const item of items) {
    const value = valueOf(item);
    groups.set(value, [...(groups.get(value) ?? []), item.name]);
  }
  return [...groups].sort((a, b) => b[1].length - a[1].length || a[1][0]!.localeCompare(b[1][0]!));
}

/** "[a, c] vs [b]": who agrees with whom, never the value. */
function hostGroups(split: readonly (readonly [string, readonly string[]])[]): string {
  return split.map(([, hosts]) => `[${hosts.join(', ')}]`).join(' vs ');
}

function alike(nodes: readonly unknown[]): string {
  return `alike on ${nodes.length} blueprint(s)`;
}

function listed(items: readonly string[], most = 6): string {
  return items.length <= most ? items.join('; ') : `${items.slice(0, most).join('; ')}; and ${items.length - most} more`;
}

