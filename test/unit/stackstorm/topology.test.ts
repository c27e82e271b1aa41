import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PlaybookError } from '../../../src/core/errors.js';
import { readLocalFile } from '../../../src/facts/localFiles.js';
import { isTier, loadBalancerUrl, postgresPair, serviceAddress, validateCluster } from '../../../src/stackstorm/topology.js';
import { BLUEPRINTS, TIER, clusterOf } from '../../harness/clusters.js';

const validate = (text: string) => validateCluster(clusterOf(text), { needsController: true });
const controllers = (n: number) => `[controller]\n${Array.from({ length: n }, (_, i) => `c${i + 1} ansible_host=10.0.3.${i + 1}`).join('\n')}\n[blueprint]\nb1 ansible_host=10.0.3.11\n[all:vars]\nlb_vip=10.0.3.50\n`;

describe('topology: one controller or the tier of three', () => {
  it('takes one controller (the guide’s layout) or three with lb_vip', () => {
    assert.doesNotThrow(() => validate(BLUEPRINTS(2)));
    assert.doesNotThrow(() => validate(TIER(2)));
    assert.ok(isTier(clusterOf(TIER(2))));
    assert.ok(!isTier(clusterOf(BLUEPRINTS(2))));
  });

  it('refuses two controllers, and four or more, naming them and why', () => {
    assert.throws(() => validate(controllers(2)), /the inventory has 2 hosts in \[controller\] \(c1, c2\) \(use one controller box .* or three .*two cannot survive losing one, as MongoDB, RabbitMQ, Sentinel and ZooKeeper need a majority/);
    assert.throws(() => validate(controllers(4)), /the inventory has 4 hosts in \[controller\] \(c1, c2, c3, c4\) \(use one controller box .*st2prov builds no larger tier/);
    assert.throws(() => validate(controllers(5)), /5 hosts in \[controller\]/);
  });

  it('refuses a file a setting names that is larger than st2prov reads of it, naming the setting and the file, before any host', () => {
    const dir = mkdtempSync(join(tmpdir(), 'st2prov-settings-'));
    try {
      const cert = join(dir, 'st2.crt');
      const key = join(dir, 'st2.key');
      writeFileSync(cert, '-----BEGIN CERTIFICATE-----\n');
      writeFileSync(key, '');
      truncateSync(key, 5 * 1024 * 1024 * 1024);
      assert.throws(() => validate(BLUEPRINTS(2, `st2_tls_cert=${cert}\nst2_tls_key=${key}`)), (err: Error) =>
        err instanceof PlaybookError && err.message === `st2_tls_key: ${key} is 5.4 GB, more than the 1 MiB st2prov reads of it (give the right file (a key or a certificate is a few KB))`);
      truncateSync(key, 1024 * 1024);
      assert.doesNotThrow(() => validate(BLUEPRINTS(2, `st2_tls_cert=${cert}\nst2_tls_key=${key}`)));
      assert.throws(() => readLocalFile(key, 1024, 'st2_tls_key'), /^PlaybookError: st2_tls_key: .*st2\.key is 1\.0 MB, more than the 1 KiB st2prov reads of it/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('needs lb_vip with three controllers, a free one, and refuses it with one', () => {
    assert.throws(() => validate(TIER(2).replace('lb_vip=10.0.3.5\n', '')), /lb_vip is not set, and the inventory has three controllers \(c1, c2, c3\)/);
    assert.throws(() => validate(TIER(2, 'lb_vip=10.0.3.8')), /lb_vip 10\.0\.3\.8 is the address of c2/);
    assert.throws(() => validate(BLUEPRINTS(2, 'lb_vip=10.0.3.5')), /lb_vip is set \(10\.0\.3\.5\) but the inventory has 1 host\(s\) in \[controller\]/);
    assert.throws(() => validate(TIER(2, 'controller_address=10.0.3.7')), /controller_address is set \(10\.0\.3\.7\) with three controllers/);
    assert.throws(() => validate(TIER(2, 'postgresql_primary=b1')), /postgresql_primary is "b1", which is not a controller/);
  });

  it('in the tier: services on each controller’s own address, clients at the VIP, PostgreSQL on a primary and a standby', () => {
    const tier = clusterOf(TIER(2));
    const [c1, c2, c3] = tier.members('controller');
    assert.deepEqual([c1, c2, c3].map((c) => serviceAddress(tier, c!)), ['10.0.3.7', '10.0.3.8', '10.0.3.9']);
    assert.equal(loadBalancerUrl(tier), 'https://10.0.3.5');
    assert.deepEqual(Object.values(postgresPair(tier)).map((c) => c.name), ['c1', 'c2']);
    const promoted = clusterOf(TIER(2, 'postgresql_primary=c2'));
    assert.deepEqual(Object.values(postgresPair(promoted)).map((c) => c.name), ['c2', 'c1']);
    const one = clusterOf(BLUEPRINTS(2, 'controller_address=192.0.2.1'));
    assert.equal(serviceAddress(one, one.members('controller')[0]!), '192.0.2.1');
    assert.equal(loadBalancerUrl(one), 'https://192.0.2.1');
  });
});
