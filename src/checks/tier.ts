import { shellScript } from '../core/command.js';
import type { ClusterHost, ClusterView } from '../core/context.js';
import { fact, type Fact } from '../core/fact.js';
import type { ClusterCheck, HostFacts, Probe } from '../core/operation.js';
import type { Verdict } from '../core/results.js';
import { ipv4Addresses } from '../facts/network.js';
import { serviceStates } from '../facts/services.js';
import { mongoCommand } from '../probes/mongo.js';
import { pgReplication, type PgReplicationState } from '../facts/postgres.js';
import { zookeeperMode } from '../probes/zookeeper.js';
import { fields, redisCommands } from '../probes/redis.js';
import { tierName } from '../stackstorm/material.js';
import { SENTINEL_PORT, SENTINEL_QUORUM } from '../stackstorm/sentinel.js';
import { mongoMember, rabbitNode } from '../stackstorm/tier.js';
import { controllers, isTier, postgresPair } from '../stackstorm/topology.js';
import { MONGODB_PORT, ZOOKEEPER_PORT } from '../stackstorm/urls.js';
import { st2Features } from '../stackstorm/versions.js';

/*
 * The controller tier's health, from what each controller it reaches says: who holds the
 * virtual address, RabbitMQ's running nodes and where each queue has its copies, Sentinel's
 * master, the replica set's members. Then what survives: with every controller up, losing
 * any one of them (a majority of each cluster stays, every queue keeps a copy, another
 * controller can take the address); with one down, that the cluster serves without it.
 */

interface RabbitQueue {
  name: string;
  exclusive: boolean;
  type: string;
  policy: string;
  /** nodes holding a copy that can take over: the master and synchronised mirrors (classic), the online members (quorum) */
  copies: string[];
}

interface RabbitView {
  nodes: string[];
  running: string[];
  partitions: number;
  queues: RabbitQueue[];
}

interface SentinelView {
  master: string;
  flags: string;
  replicas: number;
  sentinels: number;
  quorum: number;
}

interface MongoMemberView {
  name: string;
  healthy: boolean;
  state: string;
}

// both at once: each rabbitmqctl boots an Erlang VM of its own (seconds each)
const RABBIT = `queues=$(mktemp /tmp/.st2prov-rabbitmq.XXXXXX) || exit
trap 'rm -f "$queues"' EXIT
rabbitmqctl -q list_queues -p / name exclusive policy type pid synchronised_slave_pids online --formatter json >"$queues" &
listing=$!
rabbitmqctl -q cluster_status --formatter json || exit
wait "$listing" || exit
echo @@queues
cat "$queues"`;

/** A node named in an Erlang pid ("<rabbit@10.0.3.10.1700000000.123.0>"), among the known nodes. */
function nodeOfPid(pid: unknown, nodes: readonly string[]): string | undefined {
  const text = String(pid ?? '');
  return nodes.find((n) => text.startsWith(`<${n}.`));
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === '' || value === undefined || value === null ? [] : [value];
}

export function rabbitView(nodes: readonly string[]): Fact<RabbitView> {
  return fact('rabbitmq-view', shellScript(RABBIT), (r) => {
    if (r.code !== 0) throw new Error(`rabbitmqctl: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ')}`);
    const [status, queues] = r.stdout.split('@@queues\n') as [string, string];
    const doc = JSON.parse(status) as { disk_nodes?: string[]; running_nodes?: string[]; partitions?: Record<string, unknown> | unknown[] };
    const rows = JSON.parse(queues.trim() || '[]') as Record<string, unknown>[];
    return {
      nodes: doc.disk_nodes ?? [],
      running: doc.running_nodes ?? [],
      partitions: Array.isArray(doc.partitions) ? doc.partitions.length : Object.keys(doc.partitions ?? {}).length,
      queues: rows.map((q) => ({
        name: String(q.name),
        exclusive: q.exclusive === true || q.exclusive === 'true',
        type: String(q.type ?? 'classic'),
        policy: String(q.policy ?? ''),
        copies: q.type === 'quorum'
          ? list(q.online).map(String)
          : [nodeOfPid(q.pid, nodes), ...list(q.synchronised_slave_pids).map((p) => nodeOfPid(p, nodes))].filter((n): n is string => Boolean(n)),
      })),
    };
  });
}

/**
 * RabbitMQ's members and queues, the same from every node: asked of one controller (the first
 * that answers), as each rabbitmqctl boots an Erlang VM of its own (seconds each).
 */
function rabbitProbe(nodes: readonly string[]): Probe<RabbitView> {
  return { key: 'tier:rabbitmq', once: true, read: (h) => h.fact(rabbitView(nodes)) };
}

/** What this controller's Sentinel says of the master it watches (its key is the same for every master name). */
function sentinelProbe(master: string): Probe<SentinelView> {
  return {
    key: 'tier:sentinel',
    async read(h) {
      const [reply] = await redisCommands(h, h.host.address, SENTINEL_PORT, [['SENTINEL', 'MASTER', master]]);
      if (reply && typeof reply === 'object' && !Array.isArray(reply)) throw new Error(reply.error);
      const f = fields(reply!);
      return { master: f.ip ?? '', flags: f.flags ?? '', replicas: Number(f['num-slaves'] ?? 0), sentinels: Number(f['num-other-sentinels'] ?? 0) + 1, quorum: Number(f.quorum ?? SENTINEL_QUORUM) };
    },
  };
}

const mongoProbe: Probe<MongoMemberView[]> = {
  key: 'tier:mongodb',
  async read(h) {
    const reply = await mongoCommand(h, h.host.address, MONGODB_PORT, { replSetGetStatus: 1 });
    if (reply.ok !== 1) throw new Error(String(reply.errmsg ?? 'replSetGetStatus failed'));
    return (reply.members as Record<string, unknown>[]).map((m) => ({ name: String(m.name), healthy: Number(m.health) === 1, state: String(m.stateStr) }));
  },
};

/** This controller's ZooKeeper, as it answers `srvr` on its own address. */
const zookeeperProbe: Probe<string> = {
  key: 'tier:zookeeper',
  read: (h) => zookeeperMode(h, h.host.address, ZOOKEEPER_PORT),
};

/** What one controller told, each part or why it could not. */
interface Seen<T> {
  host: ClusterHost;
  value?: T;
  error?: string;
}

function seen<T>(hosts: readonly HostFacts[], cluster: ClusterView, f: Fact<T> | Probe<T>): Seen<T>[] {
  return hosts.map((h) => {
    const host = controllers(cluster).find((c) => c.name === h.name)!;
    try {
      return { host, value: h.get(f) };
    } catch (err) {
      return { host, error: (err as Error).message };
    }
  });
}

const majority = (n: number) => Math.floor(n / 2) + 1;

const redisCoordinates = (cluster: ClusterView) => cluster.settings.coordination_backend === 'redis';
/** ZooKeeper on the controllers (not an ensemble of your own at coordination_url) */
const zookeeperCoordinates = (cluster: ClusterView) => cluster.settings.coordination_backend === 'zookeeper' && !cluster.settings.coordination_url;
const mistralEra = (cluster: ClusterView) => st2Features(cluster.settings.st2_version).mistral;
const pgPairMember = (h: { cluster: ClusterView; host: ClusterHost }) => mistralEra(h.cluster) && Object.values(postgresPair(h.cluster)).includes(h.host);

/**
 * The tier's health and what it survives, from every controller that answers (one that does
 * not is named by the run as unreachable, not failed here). Nothing to say of one controller.
 */
export const tierHealth: ClusterCheck = {
  title: 'controller tier',
  partial: true,
  facts: (h) => (isTier(h.cluster) ? [ipv4Addresses(), serviceStates(['keepalived', 'nginx']), ...(pgPairMember(h) ? [pgReplication()] : [])] : []),
  probes: (h) => (isTier(h.cluster) ? [
    rabbitProbe(controllers(h.cluster).map(rabbitNode)),
    ...(redisCoordinates(h.cluster) ? [sentinelProbe(tierName(h, 'sentinelMaster'))] : []),
    ...(zookeeperCoordinates(h.cluster) ? [zookeeperProbe] : []),
    mongoProbe,
  ] : []),
  verify(hosts, cluster, unreached) {
    if (!isTier(cluster)) return [];
    const options = { redis: redisCoordinates(cluster), zookeeper: zookeeperCoordinates(cluster), postgres: mistralEra(cluster) };
    const all = controllers(cluster);
    const nodes = all.map(rabbitNode);
    const vip = cluster.settings.lb_vip!;
    const verdicts: Verdict[] = [];
    const down = all.filter((c) => unreached.includes(c.name));

    // the load balancer
    const vips = seen(hosts, cluster, ipv4Addresses());
    const holders = vips.filter((v) => v.value?.some((a) => a.address === vip)).map((v) => v.host.name);
    const services = seen(hosts, cluster, serviceStates(['keepalived', 'nginx']));
    const balancers = services.filter((s) => s.value?.every((x) => x.running)).map((s) => s.host);
    verdicts.push({ check: `load balancer: ${vip} held by one controller`, ok: holders.length === 1, detail: holders.length ? `${holders.join(', ')}; keepalived and nginx run on ${balancers.map((b) => b.name).join(', ') || 'none'}` : 'no controller holds it' });

    // RabbitMQ, as the first controller that could tell sees it
    const rabbits = seen(hosts, cluster, rabbitProbe(nodes));
    const rabbit = rabbits.find((r) => r.value)?.value;
    const queues = rabbit?.queues.filter((q) => !q.exclusive) ?? [];
    const single = queues.filter((q) => q.copies.length < 2).map((q) => `${q.name} (copies on ${q.copies.join(', ') || 'no running node'})`);
    if (rabbit) {
      verdicts.push({ check: 'RabbitMQ: the controllers are one cluster, a majority running', ok: nodes.every((n) => rabbit.nodes.includes(n)) && rabbit.running.length >= majority(nodes.length) && rabbit.partitions === 0,
        detail: `running ${rabbit.running.join(', ') || 'none'} of ${rabbit.nodes.join(', ')}${rabbit.partitions ? `; ${rabbit.partitions} partition(s)` : ''}` });
      const copies = queues.length ? `${queues.length} queue(s), each with a copy on ${Math.min(...queues.map((q) => q.copies.length))}+ running nodes` : 'no durable queue declared yet';
      verdicts.push({ check: 'RabbitMQ: queues are mirrored (exclusive ones left out)', ok: single.length === 0, detail: single.length ? `with one copy only: ${single.join('; ')}` : copies });
    } else verdicts.push({ check: 'RabbitMQ: the controllers are one cluster, a majority running', ok: false, detail: rabbits[0]?.error ?? 'no controller could be asked' });

    // Sentinel
    const sentinels = options.redis ? seen(hosts, cluster, sentinelProbe('')) : [];
    const views = sentinels.filter((s) => s.value).map((s) => ({ host: s.host, ...s.value! }));
    const masters = [...new Set(views.map((v) => v.master))];
    const masterHost = all.find((c) => c.address === masters[0]);
    if (options.redis) {
      const agreed = masters.length === 1 && views.length >= SENTINEL_QUORUM && !/o_down|s_down/.test(views[0]!.flags);
      verdicts.push({ check: 'Redis: the Sentinels agree on one master that is up', ok: agreed,
        detail: views.length ? `master ${masters.join(' / ')}${masterHost ? ` (${masterHost.name})` : ''} by ${views.map((v) => v.host.name).join(', ')}; ${views[0]!.replicas} replica(s), ${views[0]!.sentinels} Sentinel(s), quorum ${views[0]!.quorum}` : sentinels.map((s) => `${s.host.name}: ${s.error}`).join('; ') });
    }

    // ZooKeeper
    const ensemble = options.zookeeper ? seen(hosts, cluster, zookeeperProbe) : [];
    const serving = ensemble.filter((z) => z.value === 'leader' || z.value === 'follower').map((z) => z.host);
    if (options.zookeeper) {
      const leaders = ensemble.filter((z) => z.value === 'leader').map((z) => z.host.name);
      verdicts.push({ check: 'ZooKeeper: one leader, a quorum of the ensemble serving', ok: leaders.length === 1 && serving.length >= majority(all.length),
        detail: ensemble.map((z) => `${z.host.name} ${z.value ?? z.error}`).join(', ') });
    }

    // PostgreSQL (Mistral): the primary and the standby streaming from it
    const pair = options.postgres ? postgresPair(cluster) : undefined;
    const replication = pair ? seen(hosts.filter((h) => h.name === pair.primary.name || h.name === pair.standby.name), cluster, pgReplication()) : [];
    const primaryView = replication.find((r) => r.host === pair?.primary)?.value;
    const standbyView = replication.find((r) => r.host === pair?.standby)?.value;
    // as the primary sees it, or (the primary could not be read) as the standby does
    const streams = primaryView ? !primaryView.inRecovery && primaryView.standbys.some((x) => x.address === pair?.standby.address && x.state === 'streaming')
      : Boolean(standbyView?.inRecovery && standbyView.receiver?.status === 'streaming' && standbyView.receiver.host === pair?.primary.address);
    if (pair) {
      verdicts.push({ check: `PostgreSQL: ${pair.standby.name} streams from the primary ${pair.primary.name}`, ok: streams,
        detail: replication.map((r) => `${r.host.name}: ${r.value ? describePg(r.value) : r.error}`).join('; ') || `${pair.primary.name} and ${pair.standby.name} could not be read` });
    }

    // MongoDB
    const members = seen(hosts, cluster, mongoProbe).find((m) => m.value)?.value;
    const primary = members?.find((m) => m.state === 'PRIMARY');
    const healthy = members?.filter((m) => m.healthy).map((m) => m.name) ?? [];
    verdicts.push({ check: 'MongoDB: the replica set has a primary and a majority', ok: Boolean(primary) && healthy.length >= majority(all.length),
      detail: members ? `primary ${primary?.name ?? 'none'}; ${members.map((m) => `${m.name} ${m.healthy ? m.state : 'down'}`).join(', ')}` : seen(hosts, cluster, mongoProbe).map((m) => `${m.host.name}: ${m.error}`).join('; ') });

    // what survives
    const losses = down.length ? [down] : all.map((c) => [c]);
    for (const lost of losses) {
      const gone = (c: ClusterHost) => lost.includes(c);
      const left = all.filter((c) => !gone(c));
      const why: string[] = [];
      if (!left.some((c) => balancers.includes(c))) why.push('no other controller runs keepalived and nginx');
      if (rabbit) {
        const running = rabbit.running.filter((n) => !lost.some((c) => rabbitNode(c) === n));
        if (running.length < majority(nodes.length)) why.push(`RabbitMQ keeps ${running.length} of ${nodes.length} nodes`);
        const lostQueues = queues.filter((q) => !q.copies.some((n) => !lost.some((c) => rabbitNode(c) === n)));
        if (lostQueues.length) why.push(`queues with no copy elsewhere: ${lostQueues.map((q) => q.name).join(', ')}`);
      } else why.push('RabbitMQ could not be read');
      if (options.redis) {
        const sentinelsLeft = views.filter((v) => !gone(v.host)).length;
        if (sentinelsLeft < SENTINEL_QUORUM) why.push(`${sentinelsLeft} Sentinel(s) left, quorum ${SENTINEL_QUORUM}`);
        if (masterHost && gone(masterHost) && (views[0]?.replicas ?? 0) < 1) why.push('the Redis master has no replica to promote');
        if (!masterHost) why.push('no Redis master known');
      }
      if (options.zookeeper) {
        const left = serving.filter((c) => !gone(c)).length;
        if (left < majority(all.length)) why.push(`ZooKeeper keeps ${left} of ${all.length} servers`);
      }
      // promoting the standby is a manual step: losing the primary is said, and fails only once it happened
      if (pair && gone(pair.primary) && down.length) why.push(`PostgreSQL's primary ${pair.primary.name} is down: Mistral waits until the standby on ${pair.standby.name} is promoted (README, "Promoting the PostgreSQL standby")`);
      if (pair && !down.length && !gone(pair.primary) && !streams) why.push(`PostgreSQL's standby ${pair.standby.name} does not stream`);
      const mongoLeft = healthy.filter((m) => !lost.some((c) => mongoMember(c) === m)).length;
      if (mongoLeft < majority(all.length)) why.push(`MongoDB keeps ${mongoLeft} of ${all.length} members`);
      verdicts.push({
        check: `${down.length ? 'serves without' : 'survives losing'} ${lost.map((c) => c.name).join(', ')}`,
        ok: why.length === 0,
        detail: (down.length ? `${lost.map((c) => c.name).join(', ')} not reached (down, or left out by --limit/--role): ` : '') + (why.length ? why.join('; ') : `load balancer, RabbitMQ, ${options.redis ? 'Redis (Sentinel), ' : ''}${options.zookeeper ? 'ZooKeeper, ' : ''}MongoDB keep a majority on ${left.map((c) => c.name).join(', ')}${
          pair && gone(pair.primary) ? `; Mistral's PostgreSQL then needs the standby on ${pair.standby.name} promoted (a manual step, README)` : ''}`),
      });
    }
    return verdicts;
  },
};

function describePg(v: PgReplicationState): string {
  if (v.inRecovery) return `standby, ${v.receiver ? `${v.receiver.status} from ${v.receiver.host || 'its primary'}` : 'not receiving'}`;
  return `primary${v.standbys.length ? `, streaming to ${v.standbys.map((x) => `${x.address} (${x.state})`).join(', ')}` : ', no standby streaming'}`;
}
