import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostFacts } from '../../../src/core/operation.js';
import { rabbitView, tierHealth } from '../../../src/checks/tier.js';
import { TIER, clusterOf } from '../../harness/clusters.js';

/** What each controller would tell: fact or probe key → value (an Error: it could not be read). */
type Told = Record<string, unknown>;

const rabbit = (running = ['rabbit@10.0.3.7', 'rabbit@10.0.3.8', 'rabbit@10.0.3.9'], copies = 3) => ({
  nodes: ['rabbit@10.0.3.7', 'rabbit@10.0.3.8', 'rabbit@10.0.3.9'],
  running,
  partitions: 0,
  queues: [
    { name: 'st2.actionrunner.req', exclusive: false, type: 'classic', policy: 'st2-ha', copies: running.slice(0, copies) },
    { name: 'st2.stream.reply.abc', exclusive: true, type: 'classic', policy: '', copies: [running[0]] },
  ],
});
const sentinel = (master = '10.0.3.7') => ({ master, flags: 'master', replicas: 2, sentinels: 3, quorum: 2 });
const mongo = (down: string[] = []) => ['10.0.3.7:27017', '10.0.3.8:27017', '10.0.3.9:27017'].map((name, i) => ({ name, healthy: !down.includes(name), state: down.includes(name) ? '(not reachable/healthy)' : i === 0 ? 'PRIMARY' : 'SECONDARY' }));
const services = [{ running: true }, { running: true }];

function controller(name: string, address: string, told: Told = {}): HostFacts {
  const values: Told = {
    'ipv4-addresses': [{ interface: 'eth0', address, prefix: 24 }, ...(address === '10.0.3.7' ? [{ interface: 'eth0', address: '10.0.3.5', prefix: 24 }] : [])],
    'services:keepalived,nginx': services,
    'tier:rabbitmq': rabbit(),
    'tier:sentinel': sentinel(),
    'tier:mongodb': mongo(),
    ...told,
  };
  return {
    name,
    get<T>(f: { key: string }): T {
      const v = values[f.key];
      if (v instanceof Error) throw v;
      return v as T;
    },
  };
}

const all = (told: Partial<Record<'c1' | 'c2' | 'c3', Told>> = {}) => [
  controller('c1', '10.0.3.7', told.c1),
  controller('c2', '10.0.3.8', told.c2),
  controller('c3', '10.0.3.9', told.c3),
];
const verdicts = (hosts: HostFacts[], unreached: string[] = [], vars = '') => tierHealth.verify(hosts, clusterOf(TIER(2, vars)), unreached);
const failed = (v: ReturnType<typeof verdicts>) => v.filter((x) => !x.ok).map((x) => `${x.check}: ${x.detail}`);

describe('check: the controller tier’s health and what survives losing one host', () => {
  it('a healthy tier: who holds the VIP, RabbitMQ, Sentinel, the replica set, and survives losing each controller', () => {
    const v = verdicts(all());
    assert.deepEqual(failed(v), []);
    assert.deepEqual(v.map((x) => x.check), [
      'load balancer: 10.0.3.5 held by one controller',
      'RabbitMQ: the controllers are one cluster, a majority running',
      'RabbitMQ: queues are mirrored (exclusive ones left out)',
      'Redis: the Sentinels agree on one master that is up',
      'MongoDB: the replica set has a primary and a majority',
      'survives losing c1', 'survives losing c2', 'survives losing c3',
    ]);
    assert.match(v[0]!.detail!, /^c1; keepalived and nginx run on c1, c2, c3/);
    assert.match(v[3]!.detail!, /master 10\.0\.3\.7 \(c1\) by c1, c2, c3; 2 replica\(s\), 3 Sentinel\(s\), quorum 2/);
    assert.match(v[4]!.detail!, /primary 10\.0\.3\.7:27017; 10\.0\.3\.7:27017 PRIMARY, 10\.0\.3\.8:27017 SECONDARY/);
  });

  it('nothing to say of one controller', () => {
    assert.deepEqual(tierHealth.verify([controller('c', '10.0.3.10')], clusterOf('[controller]\nc ansible_host=10.0.3.10\n[blueprint]\nb ansible_host=10.0.3.11\n'), []), []);
  });

  it('the VIP on two controllers, or on none, fails', () => {
    const twice = all({ c2: { 'ipv4-addresses': [{ interface: 'eth0', address: '10.0.3.8', prefix: 24 }, { interface: 'eth0', address: '10.0.3.5', prefix: 24 }] } });
    assert.match(failed(verdicts(twice))[0]!, /held by one controller: c1, c2/);
    const none = all({ c1: { 'ipv4-addresses': [{ interface: 'eth0', address: '10.0.3.7', prefix: 24 }] } });
    assert.match(failed(verdicts(none))[0]!, /no controller holds it/);
  });

  it('a durable queue with one copy cannot survive its node: both the mirroring and the survival verdicts say so', () => {
    const one = rabbit(undefined, 1);
    const v = verdicts(all({ c1: { 'tier:rabbitmq': one }, c2: { 'tier:rabbitmq': one }, c3: { 'tier:rabbitmq': one } }));
    assert.deepEqual(failed(v), [
      'RabbitMQ: queues are mirrored (exclusive ones left out): with one copy only: st2.actionrunner.req (copies on rabbit@10.0.3.7)',
      'survives losing c1: queues with no copy elsewhere: st2.actionrunner.req',
    ]);
  });

  it('one controller lost: it is named, and the rest is judged as serving without it', () => {
    const left = ['rabbit@10.0.3.8', 'rabbit@10.0.3.9'];
    const told: Told = { 'tier:rabbitmq': rabbit(left, 2), 'tier:sentinel': sentinel('10.0.3.8'), 'tier:mongodb': mongo(['10.0.3.7:27017']).map((m) => (m.name === '10.0.3.8:27017' ? { ...m, state: 'PRIMARY' } : m)) };
    const hosts = [controller('c2', '10.0.3.8', { ...told, 'ipv4-addresses': [{ interface: 'eth0', address: '10.0.3.8', prefix: 24 }, { interface: 'eth0', address: '10.0.3.5', prefix: 24 }] }), controller('c3', '10.0.3.9', told)];
    const v = verdicts(hosts, ['c1']);
    assert.deepEqual(failed(v), []);
    assert.ok(v.some((x) => x.check === 'serves without c1' && x.ok), JSON.stringify(v));
    assert.ok(!v.some((x) => x.check.startsWith('survives losing')));
  });

  it('two controllers lost: no majority anywhere, and it says which', () => {
    const told: Told = { 'tier:rabbitmq': rabbit(['rabbit@10.0.3.9'], 1), 'tier:sentinel': new Error('no answer within 5 s'), 'tier:mongodb': mongo(['10.0.3.7:27017', '10.0.3.8:27017']) };
    const v = verdicts([controller('c3', '10.0.3.9', told)], ['c1', 'c2']);
    const serves = v.find((x) => x.check === 'serves without c1, c2')!;
    assert.equal(serves.ok, false);
    assert.match(serves.detail!, /RabbitMQ keeps 1 of 3 nodes/);
    assert.match(serves.detail!, /MongoDB keeps 1 of 3 members/);
    assert.match(serves.detail!, /0 Sentinel\(s\) left, quorum 2/);
  });

  it('with ZooKeeper: one leader and a quorum, and it survives losing any one server', () => {
    const modes = { c1: { 'tier:zookeeper': 'follower' }, c2: { 'tier:zookeeper': 'leader' }, c3: { 'tier:zookeeper': 'follower' } };
    const v = verdicts(all(modes), [], 'coordination_backend=zookeeper');
    assert.deepEqual(failed(v), []);
    assert.ok(v.some((x) => x.check === 'ZooKeeper: one leader, a quorum of the ensemble serving' && x.detail === 'c1 follower, c2 leader, c3 follower'));
    assert.ok(!v.some((x) => x.check.startsWith('Redis')));
    const lost = verdicts(all({ ...modes, c3: { 'tier:zookeeper': 'This ZooKeeper instance is not currently serving requests' }, c2: { 'tier:zookeeper': 'This ZooKeeper instance is not currently serving requests' } }), [], 'coordination_backend=zookeeper');
    assert.match(failed(lost).join('\n'), /ZooKeeper: one leader, a quorum of the ensemble serving/);
  });

  it('in the Mistral era: the standby streams from the primary; losing the primary is said, as promoting is manual', () => {
    const primary = { inRecovery: false, dataDirectory: '/var/lib/postgresql/15/main', hasMistral: true, receiver: undefined, standbys: [{ address: '10.0.3.8', state: 'streaming' }], conninfoPassword: undefined };
    const standby = { inRecovery: true, dataDirectory: '/var/lib/postgresql/15/main', hasMistral: true, receiver: { status: 'streaming', host: '10.0.3.7' }, standbys: [], conninfoPassword: 'x' };
    const v = verdicts(all({ c1: { 'pg-replication': primary }, c2: { 'pg-replication': standby } }), [], 'st2_version=2.10.4');
    assert.deepEqual(failed(v), []);
    assert.match(v.find((x) => x.check === 'PostgreSQL: c2 streams from the primary c1')!.detail!, /c1: primary, streaming to 10\.0\.3\.8 \(streaming\); c2: standby, streaming from 10\.0\.3\.7/);
    assert.match(v.find((x) => x.check === 'survives losing c1')!.detail!, /Mistral's PostgreSQL then needs the standby on c2 promoted/);
    const notStreaming = verdicts(all({ c1: { 'pg-replication': { ...primary, standbys: [] } }, c2: { 'pg-replication': { ...standby, receiver: undefined } } }), [], 'st2_version=2.10.4');
    assert.deepEqual(failed(notStreaming).map((f) => f.split(':')[0]), ['PostgreSQL', 'survives losing c2', 'survives losing c3']);
  });
});

describe('RabbitMQ as rabbitmqctl tells it', () => {
  it('finds where each queue has a copy that can take over, from the pids of its master and synchronised mirrors', () => {
    const nodes = ['rabbit@10.0.3.7', 'rabbit@10.0.3.8', 'rabbit@10.0.3.9'];
    const status = JSON.stringify({ disk_nodes: nodes, running_nodes: nodes.slice(0, 2), partitions: {} });
    const queues = JSON.stringify([
      { name: 'q1', exclusive: false, policy: 'st2-ha', type: 'classic', pid: '<rabbit@10.0.3.7.1700000000.511.0>', synchronised_slave_pids: ['<rabbit@10.0.3.8.1700000001.600.0>'], online: '' },
      { name: 'q2', exclusive: true, policy: '', type: 'classic', pid: '<rabbit@10.0.3.8.1700000001.700.0>', synchronised_slave_pids: '', online: '' },
      { name: 'q3', exclusive: false, policy: '', type: 'quorum', pid: '', synchronised_slave_pids: '', online: ['rabbit@10.0.3.7', 'rabbit@10.0.3.8'] },
    ]);
    const view = rabbitView(nodes).parse({ code: 0, stdout: `${status}\n@@queues\n${queues}\n`, stderr: '' });
    assert.deepEqual(view.running, nodes.slice(0, 2));
    assert.deepEqual(view.queues.map((q) => [q.name, q.exclusive, q.copies]), [
      ['q1', false, ['rabbit@10.0.3.7', 'rabbit@10.0.3.8']],
      ['q2', true, ['rabbit@10.0.3.8']],
      ['q3', false, ['rabbit@10.0.3.7', 'rabbit@10.0.3.8']],
    ]);
  });

  it('says why when rabbitmqctl fails, in its last lines', () => {
    assert.throws(() => rabbitView([]).parse({ code: 69, stdout: '', stderr: 'Error: unable to perform an operation on node\nnodedown\n' }), /rabbitmqctl: .*nodedown/);
  });
});
