/**
 * The load balancer's upstream, one file per blueprint on every controller
 * (/etc/nginx/st2-upstream.d/NAME.conf, included in the upstream block): a blueprint is
 * taken out (`down`) and put back by rewriting its own file, so turns of several blueprints,
 * and several controllers, never edit one shared file.
 */
export const UPSTREAM_DIR = '/etc/nginx/st2-upstream.d';

export interface Member {
  name: string;
  address: string;
}

/** The file of one blueprint; a name with characters a file name should not hold gets them replaced. */
export function memberPath(name: string): string {
  return `${UPSTREAM_DIR}/${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.conf`;
}

/** The upstream line of a blueprint: serving (it fails over after one error), or drained (`down`). */
export function memberLine(m: Member, drained: boolean): string {
  return drained
    ? `    server ${m.address}:443 down;  # ${m.name}: drained by st2prov for its turn\n`
    : `    server ${m.address}:443 max_fails=1 fail_timeout=10s;  # ${m.name}\n`;
}

/** Whether a member file's content takes its blueprint out (`down`). */
export function isDrained(content: string): boolean {
  return /^\s*server\s+\S+\s+([^;]*\s)?down[\s;]/m.test(content);
}

/** The member files found in UPSTREAM_DIR, as the upstream fact prints them: file name → content. */
export function parseMembers(stdout: string): { dir: boolean; files: Map<string, string> } {
  const files = new Map<string, string>();
  const [head, ...blocks] = stdout.split(/^@@ /m);
  for (const block of blocks) {
    const nl = block.indexOf('\n');
    files.set(block.slice(0, nl), block.slice(nl + 1));
  }
  return { dir: head!.trim() === 'dir', files };
}
