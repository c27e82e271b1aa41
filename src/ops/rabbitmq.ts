import { MissingInput, RemoteCommandError } from '../core/errors.js';
import { change } from '../core/change.js';
import type { Operation } from '../core/operation.js';
import { amqpLogin } from '../probes/amqp.js';
import type { Secret } from '../core/secret.js';
import { shellScript, type ExecResult } from '../core/command.js';
import { fact, type Fact } from '../core/fact.js';

/*
 * The password goes to rabbitmqctl on stdin ("Password:" prompt of add_user and
 * change_password), never on its command line.
 */
// in a cluster another node may add the user at the same moment: a failed add is a change of password
const ENSURE_USER = `set -e
pw=$(cat)
if rabbitmqctl -q list_users | awk '{print $1}' | grep -qxF "$1"; then
  printf '%s' "$pw" | rabbitmqctl -q change_password "$1"
else
  printf '%s' "$pw" | rabbitmqctl -q add_user "$1" || printf '%s' "$pw" | rabbitmqctl -q change_password "$1"
fi
rabbitmqctl -q set_permissions -p "$2" "$1" '.*' '.*' '.*'`;

export interface RabbitUserSpec {
  user: string;
  password: Secret;
  vhost?: string;
  /** where the broker listens, as seen from the host itself */
  address: string;
  port?: number;
}

/** A RabbitMQ user that can log in with this password and use the vhost, checked over AMQP. */
export function rabbitmqUser(spec: RabbitUserSpec): Operation {
  const vhost = spec.vhost ?? '/';
  return {
    title: `RabbitMQ user ${spec.user}`,
    async plan(host) {
      const login = await amqpLogin(host, spec.address, spec.port ?? 5672, spec.user, spec.password.reveal(), vhost);
      if (login === 'ok') return [];
      if (login === 'unreachable') throw new MissingInput(`a RabbitMQ server answering on ${spec.address}:${spec.port ?? 5672}`);
      const why = login === 'refused' ? 'cannot log in with its password' : `has no access to vhost ${vhost}`;
      return [
        change({
          kind: 'rabbitmq',
          summary: `RabbitMQ user ${spec.user}: set password and permissions on ${vhost} (${why})`,
          apply: async () => {
            await host.run(`setting RabbitMQ user ${spec.user}`, { argv: shellScript(ENSURE_USER, [spec.user, vhost]), stdin: spec.password.reveal() });
          },
        }),
      ];
    },
  };
}

/** A RabbitMQ cluster as one node sees it. */
export interface RabbitCluster {
  nodes: string[];
  running: string[];
  /** nodes on the far side of a network partition, by node */
  partitions: Record<string, string[]>;
}

const NOT_RUNNING = /unable to perform an operation on node|nodedown|not running|could not connect|Error: unable to connect|command not found|is not installed/i;

/** RabbitMQ is not installed yet (the shell's 127: no rabbitmqctl) or its node does not run: nothing to read, not a failure. */
function notRunning(r: ExecResult): boolean {
  return r.code === 127 || NOT_RUNNING.test(r.stderr + r.stdout);
}

function clusterOf(stdout: string): RabbitCluster {
  const doc = JSON.parse(stdout) as { disk_nodes?: string[]; ram_nodes?: string[]; running_nodes?: string[]; partitions?: Record<string, string[]> | unknown[] };
  return {
    nodes: [...(doc.disk_nodes ?? []), ...(doc.ram_nodes ?? [])].sort(),
    running: [...(doc.running_nodes ?? [])].sort(),
    partitions: Array.isArray(doc.partitions) ? {} : doc.partitions ?? {},
  };
}

/** The cluster this host's node (or `node`, over Erlang distribution with the shared cookie) is in. */
export function rabbitCluster(node?: string): Fact<RabbitCluster | null> {
  return fact(`rabbitmq-cluster:${node ?? 'local'}`, ['rabbitmqctl', '-q', ...(node ? ['-n', node] : []), 'cluster_status', '--formatter', 'json'], (r) => {
    if (r.code !== 0) {
      if (notRunning(r)) return null;
      throw new RemoteCommandError(`reading the RabbitMQ cluster of ${node ?? 'this node'}`, r.code, r.stderr);
    }
    return clusterOf(r.stdout);
  });
}

export interface RabbitClusterSpec {
  /** this host's node name (rabbit@ADDRESS) */
  self: string;
  /** every node the cluster must have, the one others join first */
  nodes: readonly string[];
}

// a node that joins loses its own data (users, queues): the cluster's replace them
const JOIN = `set -e
rabbitmqctl -q stop_app
rabbitmqctl -q reset
rabbitmqctl -q join_cluster "$1"
rabbitmqctl -q start_app`;

// a controller rebuilt under its old name: the cluster forgets the old one before the new joins
const REJOIN = `set -e
rabbitmqctl -q stop_app
rabbitmqctl -q -n "$1" forget_cluster_node "$2"
rabbitmqctl -q reset
rabbitmqctl -q join_cluster "$1"
rabbitmqctl -q start_app`;

/**
 * This node in the cluster of every controller. A node alone joins the first controller's;
 * the first controller alone while the others form a cluster that still lists it (it was
 * rebuilt) is forgotten there and joins them. Nodes of the cluster no longer in the inventory
 * are forgotten once they are down.
 */
export function rabbitmqCluster(spec: RabbitClusterSpec): Operation {
  const [seed] = spec.nodes;
  return {
    title: `RabbitMQ cluster of ${spec.nodes.join(', ')}`,
    facts: () => [rabbitCluster()],
    async plan(host) {
      const mine = await host.fact(rabbitCluster());
      if (!mine) throw new MissingInput(`a running RabbitMQ node ${spec.self}`);
      const alone = mine.nodes.length <= 1;
      if (alone && spec.self !== seed) {
        return [change({
          kind: 'rabbitmq',
          summary: `RabbitMQ ${spec.self} joins the cluster of ${seed} (its own users and queues give way to the cluster's)`,
          apply: async () => void (await host.run(`joining RabbitMQ ${spec.self} to ${seed}`, { argv: shellScript(JOIN, [seed!]) })),
        })];
      }
      if (alone) {
        for (const other of spec.nodes.filter((n) => n !== spec.self)) {
          const theirs = await host.fact(rabbitCluster(other)).catch(() => null);
          if (theirs && theirs.nodes.length > 1 && theirs.nodes.includes(spec.self)) {
            return [change({
              kind: 'rabbitmq',
              summary: `RabbitMQ ${spec.self} was rebuilt: ${other}'s cluster forgets its old self, then it joins again`,
              apply: async () => void (await host.run(`rejoining RabbitMQ ${spec.self} to ${other}`, { argv: shellScript(REJOIN, [other, spec.self]) })),
            })];
          }
        }
        return [];
      }
      const stale = mine.nodes.filter((n) => !spec.nodes.includes(n) && !mine.running.includes(n));
      return stale.map((node) => change({
        kind: 'rabbitmq',
        summary: `RabbitMQ forgets ${node}: it is down and no longer a controller of the inventory`,
        apply: async () => void (await host.run(`forgetting RabbitMQ node ${node}`, { argv: ['rabbitmqctl', '-q', 'forget_cluster_node', node] })),
      }));
    },
  };
}

/** The installed RabbitMQ's version and the policies of a vhost. */
function rabbitPolicies(vhost: string): Fact<{ major: number; policies: { name: string; pattern: string; applyTo: string; definition: Record<string, unknown> }[] } | null> {
  // the version from the package, not `rabbitmqctl version`: every rabbitmqctl boots an Erlang VM (seconds)
  const script = `v=$(dpkg-query -W -f '\${db:Status-Abbrev} \${Version}' rabbitmq-server 2>/dev/null)
case "$v" in ii*) ;; *) echo 'rabbitmqctl: rabbitmq-server is not installed' >&2; exit 127 ;; esac
v=\${v##* }
echo "\${v#*:}"
rabbitmqctl -q list_policies -p "$1" --formatter json`;
  return fact(`rabbitmq-policies:${vhost}`, shellScript(script, [vhost]), (r) => {
    if (r.code !== 0) {
      if (notRunning(r)) return null;
      throw new RemoteCommandError('reading RabbitMQ policies', r.code, r.stderr);
    }
    const [version, ...rest] = r.stdout.split('\n');
    const list = JSON.parse(rest.join('\n').trim() || '[]') as { name: string; pattern: string; 'apply-to': string; definition: string | Record<string, unknown> }[];
    return {
      major: Number(version!.trim().split('.')[0]),
      policies: list.map((p) => ({ name: p.name, pattern: p.pattern, applyTo: p['apply-to'], definition: typeof p.definition === 'string' ? JSON.parse(p.definition) as Record<string, unknown> : p.definition })),
    };
  });
}

/** The classic-mirroring policy of RabbitMQ 3.x: every queue but the server-named ones (amq.*) on every node, kept in sync. */
export const MIRROR_POLICY = { name: 'st2-ha', pattern: '^(?!amq\\.).*', applyTo: 'queues', definition: { 'ha-mode': 'all', 'ha-sync-mode': 'automatic' } };

/**
 * Queues that survive losing a node, by what the installed RabbitMQ has: on 3.x a mirroring
 * policy (exclusive queues are never mirrored: they die with their connection anyway); from
 * 4.0, which dropped mirroring, quorum queues as the vhost's default type (the broker keeps
 * exclusive and transient queues classic, as quorum queues cannot be either).
 */
export function rabbitmqHaQueues(vhost = '/'): Operation {
  return {
    title: `highly available RabbitMQ queues on ${vhost}`,
    facts: () => [rabbitPolicies(vhost)],
    async plan(host) {
      const found = await host.fact(rabbitPolicies(vhost));
      if (!found) throw new MissingInput('a running RabbitMQ node');
      if (found.major >= 4) {
        const r = await host.exec({ argv: ['rabbitmqctl', '-q', 'list_vhosts', 'name', 'default_queue_type', '--formatter', 'json'] });
        const vhosts = JSON.parse(r.stdout || '[]') as { name: string; default_queue_type?: string }[];
        if (vhosts.find((v) => v.name === vhost)?.default_queue_type === 'quorum') return [];
        return [change({
          kind: 'rabbitmq',
          summary: `RabbitMQ ${found.major}.x: new durable queues on ${vhost} are quorum queues (replicated; exclusive ones stay classic)`,
          apply: async () => void (await host.run('setting the default queue type', { argv: ['rabbitmqctl', '-q', 'update_vhost_metadata', vhost, '--default-queue-type', 'quorum'] })),
        })];
      }
      const p = MIRROR_POLICY;
      const current = found.policies.find((x) => x.name === p.name);
      if (current && current.pattern === p.pattern && current.applyTo === p.applyTo && canonical(current.definition) === canonical(p.definition)) return [];
      return [change({
        kind: 'rabbitmq',
        summary: `RabbitMQ policy ${p.name} on ${vhost}: queues mirrored to every node (${JSON.stringify(p.definition)}, pattern ${p.pattern})`,
        apply: async () => void (await host.run(`setting RabbitMQ policy ${p.name}`, { argv: ['rabbitmqctl', '-q', 'set_policy', '-p', vhost, '--apply-to', p.applyTo, p.name, p.pattern, JSON.stringify(p.definition)] })),
      })];
    },
  };
}

function canonical(value: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b))));
}
