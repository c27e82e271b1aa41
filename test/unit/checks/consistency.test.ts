import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareNodes, parseDigests, type NodeState } from '../../../src/checks/consistency.js';

const CONF = `[auth]
enable = True
[coordination]
url = redis://:s3cret-pw@10.0.0.1:6379
[sensorcontainer]
sensor_node_name = NAME
partition_provider = name:hash, hash_ranges:RANGE
[timersengine]
enable = TIMERS
`;

const node = (name: string, changes: { conf?: string; htpasswd?: string; version?: string; packs?: [string, string][] } = {}): NodeState => ({
  name,
  st2conf: changes.conf ?? CONF.replace('NAME', name).replace('RANGE', name).replace('TIMERS', name === 'bp1' ? 'True' : 'False'),
  ...parseDigests([
    'file\tdatastore key\taaa',
    `file\thtpasswd\t${changes.htpasswd ?? 'bbb'}`,
    'file\tstanley private key\tccc',
    'file\tstanley public key\tddd',
    'file\tstanley known_hosts\tabsent',
    `st2\t${changes.version ?? '2.10.4-1'}`,
    ...(changes.packs ?? [['core', '111'], ['hello_st2', '222']]).map(([p, d]) => `pack\t${p}\t${d}`),
    '',
  ].join('\n')),
});

const failed = (verdicts: ReturnType<typeof compareNodes>) => verdicts.filter((v) => !v.ok).map((v) => `${v.check}: ${v.detail}`);

describe('the blueprints agree', () => {
  it('nodes that differ only in their own keys (node name, partition, timers) agree', () => {
    const verdicts = compareNodes([node('bp1'), node('bp2'), node('bp3')]);
    assert.deepEqual(failed(verdicts), []);
    assert.equal(verdicts.length, 8);
  });

  it('a differing file names the hosts on each side, the largest group first', () => {
    assert.deepEqual(failed(compareNodes([node('bp1'), node('bp2', { htpasswd: 'zzz' }), node('bp3')])), ['the same htpasswd on every blueprint: differs: [bp1, bp3] vs [bp2]']);
  });

  it('st2.conf is compared key by key and never shows a value', () => {
    const other = CONF.replace('s3cret-pw', 'other-pw').replace('NAME', 'bp2').replace('RANGE', 'x').replace('TIMERS', 'False') + '[api]\nallow_origin = *\n';
    const [line] = failed(compareNodes([node('bp1'), node('bp2', { conf: other })]));
    assert.equal(line, 'the same st2.conf on every blueprint, but for its own keys: differs: [api] allow_origin [bp1] vs [bp2]; [coordination] url [bp1] vs [bp2]');
    assert.doesNotMatch(line!, /s3cret|other-pw/);
  });

  it('packs: a changed pack and a missing one are named; versions are listed', () => {
    const lines = failed(compareNodes([node('bp1'), node('bp2', { version: '3.0.0-1', packs: [['core', '111'], ['hello_st2', '999']] }), node('bp3', { packs: [['core', '111']] })]));
    assert.deepEqual(lines, [
      'the same st2 version on every blueprint: 2.10.4-1 on bp1, bp3; 3.0.0-1 on bp2',
      'the same packs on every blueprint: differs: hello_st2 [bp1] vs [bp2] vs [bp3] (missing on bp3)',
    ]);
  });

  it('one blueprint agrees with itself', () => {
    assert.deepEqual(failed(compareNodes([node('bp1')])), []);
  });

  it('declared packs: one not as installed is named with its hosts and why, and differing versions with who agrees', () => {
    const pack = (name: string, lines: string[]): NodeState => ({ ...node(name), ...parseDigests(lines.join('\n')) });
    const ok = ['pack\thello\td1\tversion: 1.0.0', 'venv\thello', 'record\thello\td1\thello=1.0.0'];
    const declared = [{ name: 'hello', version: '1.0.0', spec: 'hello=1.0.0' }];
    const all = [pack('bp1', ok), pack('bp2', ok), pack('bp3', ok)];
    const last = (nodes: NodeState[]) => compareNodes(nodes, declared).at(-1)!;
    assert.deepEqual(last(all), { check: 'the declared packs (st2_packs) as installed on every blueprint', ok: true, detail: '1 pack(s) with their virtualenv, unchanged since installed, on 3 blueprint(s)' });
    assert.equal(compareNodes(all).length, 8, 'no declared pack, no verdict about them');
    const drifted = [pack('bp1', ok), pack('bp2', ['pack\thello\td2\tversion: 1.0.0', 'venv\thello', 'record\thello\td1\thello=1.0.0']), pack('bp3', ['pack\thello\td1\tversion: 1.0.0', 'record\thello\td1\thello=1.0.0'])];
    assert.deepEqual(last(drifted), { check: 'the declared packs (st2_packs) as installed on every blueprint', ok: false, detail: 'hello: its files changed since it was installed on bp2; hello: its virtualenv /opt/stackstorm/virtualenvs/hello is missing on bp3' });
    const versions = [pack('bp1', ok), pack('bp2', ['pack\thello\td3\tversion: 1.1.0', 'venv\thello', 'record\thello\td3\thello=1.0.0']), pack('bp3', [])];
    assert.deepEqual(last(versions).detail, 'hello: its pack.yaml says version 1.1.0, declared 1.0.0 on bp2; hello: not installed on bp3; hello version [bp1] vs [bp2]');
  });
});
