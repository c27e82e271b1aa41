import { change } from '../core/change.js';
import { shellScript } from '../core/command.js';
import { MissingInput, RemoteCommandError } from '../core/errors.js';
import { strictFact, type Fact } from '../core/fact.js';
import type { Operation } from '../core/operation.js';
import { RUN_ID } from '../core/runId.js';

export type LinkState =
  | { kind: 'link'; target: string; owner: string; group: string }
  | { kind: 'directory' | 'other' | 'missing' | 'missing-parent' };

/** What is at a path, a symbolic link not followed: its target and own owner when it is one. */
const READ_LINK = `p=$1
if [ -L "$p" ]; then printf 'link %s\\n' "$(stat -c '%U %G' -- "$p")" && readlink -- "$p"
elif [ -d "$p" ]; then echo directory
elif [ -e "$p" ]; then echo other
elif [ -d "$(dirname -- "$p")" ]; then echo missing
else echo missing-parent
fi`;

export function linkState(path: string): Fact<LinkState> {
  return strictFact(`link:${path}`, shellScript(READ_LINK, [path]), (stdout) => {
    const nl = stdout.indexOf('\n');
    const [kind, owner, group] = stdout.slice(0, nl).split(' ');
    if (kind === 'link') return { kind, owner: owner!, group: group!, target: stdout.slice(nl + 1).replace(/\n$/, '') };
    return { kind: kind as 'directory' | 'other' | 'missing' | 'missing-parent' };
  });
}

/*
 * A new link is made beside the path under a temp name, owned as asked (chown -h: the link
 * itself), then renamed over the path in one step: a file or link there is replaced whole,
 * never followed; a folder there is refused (mv -T).
 */
const LINK = `set -e
p=$1; d=$(dirname -- "$p"); t="$d/.st2prov.$4.link.$$"
rm -f -- "$t"
ln -s -- "$2" "$t"
trap 'rm -f -- "$t"' EXIT
[ -z "$3" ] || chown -h -- "$3" "$t"
mv -fT -- "$t" "$p"
trap - EXIT`;

/** A symbolic link at `path` naming `target`, the link itself owned by `owner` ("user:group") when given. */
export function link(path: string, target: string, options: { owner?: string } = {}): Operation {
  return {
    title: `link ${path}`,
    facts: () => [linkState(path)],
    async plan(host) {
      const state = await host.fact(linkState(path));
      if (state.kind === 'missing-parent') throw new MissingInput(`folder of ${path}`);
      if (state.kind === 'directory') throw new RemoteCommandError(`a link at ${path}`, null, `${path} is a folder where a link belongs (from the backup): move it away, then restore again`);
      const [user, group] = (options.owner ?? '').split(':');
      const sameTarget = state.kind === 'link' && state.target === target;
      const owned = state.kind === 'link' && (!user || state.owner === user) && (!group || state.group === group);
      if (sameTarget && owned) return [];
      const summary = state.kind === 'missing' ? `create link ${path} → ${target}`
        : state.kind !== 'link' ? `replace ${path} by a link → ${target}`
        : sameTarget ? `set the owner of link ${path}` : `link ${path}: → ${state.target} becomes → ${target}`;
      return [change({
        kind: 'link',
        summary,
        apply: async () => {
          await host.run(`link ${path}`, { argv: shellScript(LINK, [path, target, options.owner ?? '', RUN_ID]) });
        },
      })];
    },
  };
}
