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

/** What puts back a blueprint a run left drained (it was killed, or failed, in the blueprint's turn). */
export function putBackRemedy(name: string): string {
  return `st2prov apply --limit ${name} (or st2prov restart --limit ${name}) puts it back in its turn`;
}

/**
 * What the upstream listing prints (`dir` or `none`, then each member file's name ended by a
 * NUL): whether the folder is there, and the names; undefined for output cut short.
 */
export function parseMemberNames(stdout: string): { dir: boolean; names: string[] } | undefined {
  const nl = stdout.indexOf('\n');
  const head = stdout.slice(0, nl);
  const names = stdout.slice(nl + 1).split('\0');
  if (nl < 0 || names.pop() !== '' || (head !== 'dir' && head !== 'none') || (head === 'none' && names.length > 0)) return undefined;
  return { dir: head === 'dir', names };
}
