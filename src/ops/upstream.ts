import { change, type Change } from '../core/change.js';
import { shellScript } from '../core/command.js';
import { RemoteCommandError } from '../core/errors.js';
import { fact, type Fact } from '../core/fact.js';
import type { HostContext } from '../core/context.js';
import type { Operation } from '../core/operation.js';
import { fileState, fileText, type FileState } from '../facts/files.js';
import { UPSTREAM_DIR, isDrained, memberLine, memberPath, parseMemberNames, type Member } from '../stackstorm/loadBalancer.js';
import { directory } from './directory.js';
import { ListingTooLarge } from '../facts/manifest.js';
import { fileChanges } from './file.js';
import { nginxValidator } from './nginx.js';

const LIST = `{ if [ -d "$1" ]; then echo dir; for f in "$1"/*.conf; do [ ! -f "$f" ] || printf '%s\\0' "\${f##*/}"; done; else echo none; fi; } | head -c "$2"`;
/** The most of the folder's listing read: names of a few dozen bytes, a file per blueprint. */
const LIST_LIMIT = 1024 * 1024;

/** The names of the member files in the upstream folder on a controller (their content and attributes: memberFile). */
export function upstreamMembers(): Fact<{ dir: boolean; names: string[] }> {
  return fact(`upstream:${UPSTREAM_DIR}`, shellScript(LIST, [UPSTREAM_DIR, String(LIST_LIMIT + 1)]), (r) => {
    if (Buffer.byteLength(r.stdout) > LIST_LIMIT) throw new ListingTooLarge(UPSTREAM_DIR, LIST_LIMIT, 40);
    const listed = r.code === 0 ? parseMemberNames(r.stdout) : undefined;
    if (!listed) throw new RemoteCommandError(`listing ${UPSTREAM_DIR}`, r.code, r.stderr || (r.code === 0 ? 'output cut short' : ''));
    return listed;
  });
}

/** A blueprint's member file: read with the host's other files. */
export const memberFile = (name: string): Fact<FileState> => fileState(memberPath(name));

/**
 * On a controller: a member file per blueprint of the inventory, none for the others. A
 * blueprint a rolling turn took out stays out (its address kept up to date): only its turn
 * puts it back.
 */
export function upstreamMemberFiles(members: readonly Member[], notify: string[]): Operation[] {
  const members_: Operation = {
    title: `upstream members ${members.map((m) => m.name).join(', ')}`,
    facts: () => [upstreamMembers(), ...members.map((m) => memberFile(m.name))],
    async plan(host) {
      const { names } = await host.fact(upstreamMembers());
      const changes: Change[] = [];
      for (const m of members) {
        const path = memberPath(m.name);
        const state = await host.fact(memberFile(m.name));
        const content = memberLine(m, state.exists && isDrained((await fileText(host, path, state, 'reading a member file')).content));
        changes.push(...fileChanges(host, { path, content, mode: '0644', owner: 'root:root', validate: nginxValidator(path), notify }, state, 'nginx'));
      }
      const known = new Set(members.map((m) => memberPath(m.name).slice(UPSTREAM_DIR.length + 1)));
      for (const name of names.filter((f) => !known.has(f)).sort()) {
        const path = `${UPSTREAM_DIR}/${name}`;
        changes.push(change({ kind: 'nginx', summary: `remove ${path} (no longer a blueprint of the inventory)`, notify, apply: async () => {
          await host.run(`removing ${path}`, { argv: ['rm', '-f', '--', path] });
        } }));
      }
      return changes;
    },
  };
  return [directory(UPSTREAM_DIR, { mode: '0755', owner: 'root:root' }), members_];
}

/*
 * nginx -s reload returns before the new workers took over; the old ones finish the requests
 * they hold, then exit. Waits (bounded) until every worker of before the reload is gone: from
 * then on no request reaches a member taken out.
 */
const RELOAD_AND_SETTLE = `master=$(cat /run/nginx.pid 2>/dev/null) || { echo "nginx is not running (no /run/nginx.pid)" >&2; exit 1; }
workers() { for d in /proc/[0-9]*; do [ "$(cut -d' ' -f4 "$d/stat" 2>/dev/null)" = "$master" ] && echo "\${d#/proc/}"; done; }
old=$(workers)
nginx -s reload || exit
i=0
while [ "$i" -lt "$1" ]; do
  alive=
  for p in $old; do kill -0 "$p" 2>/dev/null && alive=1; done
  [ -z "$alive" ] && exit 0
  sleep 0.1; i=$((i + 1))
done
echo "nginx workers of before the reload still hold connections after $(($1 / 10)) s (long-lived streams): going on" >&2`;

/** How long the load balancer's old workers may take to finish what they hold (long-lived streams may not). */
export const LB_SETTLE_SECONDS = 20;

/**
 * On a controller: one blueprint out of the upstream (`down`) or back in, the change live
 * (nginx -t, reload) and settled (the workers of before the reload gone) when it returns.
 * `assume` plans as if the member file already said `drained` (a dry run of a turn).
 */
export function upstreamMember(m: Member, drained: boolean, assume?: boolean): Operation {
  const path = memberPath(m.name);
  return {
    title: `${m.name} ${drained ? 'out of' : 'back in'} the load balancer`,
    facts: () => [memberFile(m.name)],
    async plan(host: HostContext) {
      const current = await host.fact(memberFile(m.name));
      if (!current.exists) {
        throw new RemoteCommandError(`${m.name} ${drained ? 'out of' : 'back in'} the load balancer`, 1, `${path} does not exist: the load balancer on ${host.name} has no file per blueprint yet (apply the controller play first)`);
      }
      const now = assume === undefined ? isDrained((await fileText(host, path, current, 'reading a member file')).content) : !drained;
      if (now === drained) return [];
      return [change({
        kind: 'drain',
        summary: drained ? `${m.name} out of the load balancer (down; nginx reloaded, its old workers done)` : `${m.name} back in the load balancer (nginx reloaded)`,
        apply: async () => {
          const write = fileChanges(host, { path, content: memberLine(m, drained), mode: '0644', owner: 'root:root', validate: nginxValidator(path) }, current, 'nginx');
          for (const c of write) await c.apply();
          await host.run('nginx -s reload', { argv: shellScript(RELOAD_AND_SETTLE, [String(LB_SETTLE_SECONDS * 10)]) });
        },
      })];
    },
  };
}
