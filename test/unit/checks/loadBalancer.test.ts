import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { HostContext } from '../../../src/core/context.js';
import type { Fact } from '../../../src/core/fact.js';
import { memberVerdict, upstreamServes } from '../../../src/checks/loadBalancer.js';
import type { FileState } from '../../../src/facts/files.js';
import { memberLine } from '../../../src/stackstorm/loadBalancer.js';
import { BLUEPRINTS, clusterOf } from '../../harness/clusters.js';

describe('check: the load balancer sends requests to every blueprint', () => {
  const cluster = clusterOf(BLUEPRINTS(3));
  const [b1, b2, b3] = cluster.members('blueprint');
  const file = (content: string): FileState => ({ exists: true, mode: 0o644, owner: 'root', group: 'root', content, size: Buffer.byteLength(content), sha256: createHash('sha256').update(content).digest('hex') });

  /** A controller whose files are this table (path → state), no host behind it. */
  const controller = (files: Record<string, FileState>): HostContext => ({
    name: 'c',
    async fact<T>(f: Fact<T>): Promise<T> {
      const path = f.family?.names[0] ?? '';
      assert.ok(path?.startsWith('/etc/nginx/st2-upstream.d/'), `only member files are read, not ${f.key}`);
      return (files[path] ?? { exists: false, parentExists: true }) as T;
    },
  }) as unknown as HostContext;

  it('a drained blueprint fails, named, with where it is drained and the remedy; a serving one holds', async () => {
    const check = upstreamServes([b1!, b2!, b3!]);
    assert.deepEqual(check.facts!(controller({})).map((f) => f.family?.names[0]), ['/etc/nginx/st2-upstream.d/b1.conf', '/etc/nginx/st2-upstream.d/b2.conf', '/etc/nginx/st2-upstream.d/b3.conf'], 'read in the one probe of the play');
    const verdicts = await check.verify(controller({
      '/etc/nginx/st2-upstream.d/b1.conf': file(memberLine({ name: 'b1', address: '10.0.3.11' }, false)),
      '/etc/nginx/st2-upstream.d/b2.conf': file(memberLine({ name: 'b2', address: '10.0.3.12' }, true)),
    }));
    assert.deepEqual(verdicts.map((v) => [v.check, v.ok]), [
      ['load balancer sends requests to b1 (/etc/nginx/st2-upstream.d/b1.conf)', true],
      ['load balancer sends requests to b2 (/etc/nginx/st2-upstream.d/b2.conf)', false],
      ['load balancer sends requests to b3 (/etc/nginx/st2-upstream.d/b3.conf)', false],
    ]);
    assert.equal(verdicts[1]!.detail, 'drained (down in /etc/nginx/st2-upstream.d/b2.conf): left out of the load balancer by a run that stopped or failed in its turn; unless an st2prov run is in that turn now, st2prov apply --limit b2 (or st2prov restart --limit b2) puts it back in its turn');
    assert.match(verdicts[2]!.detail!, /b3\.conf does not exist, so the upstream leaves b3 out: st2prov apply writes it/);
  });

  it('a member file that names another address is no member of the blueprint', () => {
    assert.deepEqual(memberVerdict(b1!, memberLine({ name: 'b1', address: '10.0.3.99' }, false)), { ok: false, detail: '/etc/nginx/st2-upstream.d/b1.conf does not name 10.0.3.11:443: st2prov apply writes it' });
    assert.deepEqual(memberVerdict(b1!, 'server 10.0.3.11:443;\n'), { ok: true, detail: 'serves at 10.0.3.11:443' }, 'a line written by hand, without parameters');
    assert.equal(memberVerdict(b1!, '# server 10.0.3.11:443 down;\nserver 10.0.3.11:443 max_fails=1;\n').ok, true, 'a comment drains nothing');
  });
});
