import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { describe, it } from 'node:test';
import { isSecret, mask } from '../../../src/core/secret.js';
import { renderTemplate } from '../../../src/ops/template.js';
import { httpStatus } from '../../../src/probes/http.js';
import { BLUEPRINT_TLS_NAME, CLUSTER_CA, blueprintTls, clusterMaterial, subjectAltName } from '../../../src/stackstorm/material.js';
import { SecretStore } from '../../../src/state/secretStore.js';
import { StateFolder } from '../../../src/state/stateFolder.js';
import { BLUEPRINTS, TIER, clusterOf } from '../../harness/clusters.js';
import { tempDir } from '../../harness/tempDir.js';

const store = (writable = true, dir = join(tempDir('ca'), 'inv.st2prov')) => ({ dir, vault: new SecretStore(new StateFolder(dir, writable), () => undefined) });
const text = (part: string | { reveal(): string } | undefined) => (typeof part === 'string' ? part : part!.reveal());

describe('the cluster CA and the blueprints’ certificates', () => {
  const cluster = clusterOf(BLUEPRINTS(2));
  const [b1, b2] = cluster.members('blueprint');

  it('each blueprint’s certificate is signed by the cluster CA and names the shared name, the blueprint and its address', async () => {
    const { vault } = store();
    await vault.makeMaterial(clusterMaterial(cluster));
    const ca = new X509Certificate(text(vault.material(CLUSTER_CA)['ca.crt']));
    assert.equal(ca.ca, true);
    for (const [b, ip] of [[b1!, '10.0.3.11'], [b2!, '10.0.3.12']] as const) {
      const cert = new X509Certificate(text(vault.material(blueprintTls(b))['blueprint.crt']));
      assert.equal(cert.verify(ca.publicKey), true, `${b.name} signed by the CA`);
      assert.equal(cert.ca, false);
      assert.equal(cert.checkHost(BLUEPRINT_TLS_NAME), BLUEPRINT_TLS_NAME);
      assert.equal(cert.checkHost(b.name), b.name);
      assert.equal(cert.checkIP(ip), ip);
      assert.equal(cert.checkIP('10.0.3.99'), undefined);
    }
  });

  it('made once: a second run reads the same CA and certificates; the CA key stays in its own folder only, private', async () => {
    const { dir, vault } = store();
    await vault.makeMaterial([blueprintTls(b1!)]);
    const first = vault.material(blueprintTls(b1!));
    const ca = vault.material(CLUSTER_CA);
    const again = store(true, dir).vault;
    await again.makeMaterial([CLUSTER_CA, blueprintTls(b1!)]);
    assert.equal(text(again.material(blueprintTls(b1!))['blueprint.crt']), text(first['blueprint.crt']));
    assert.equal(text(again.material(CLUSTER_CA)['ca.key']), text(ca['ca.key']));
    const folders = readdirSync(dir).sort();
    assert.deepEqual(folders, [blueprintTls(b1!).name, 'cluster-ca'].sort());
    assert.deepEqual(readdirSync(join(dir, blueprintTls(b1!).name)).sort(), ['blueprint.crt', 'blueprint.key'], 'nothing of the CA left where it signed');
    assert.equal(statSync(join(dir, 'cluster-ca', 'ca.key')).mode & 0o077, 0);
    assert.match(readFileSync(join(dir, 'cluster-ca', 'ca.key'), 'utf8'), /PRIVATE KEY/);
  });

  it('the CA key and each blueprint key are secrets: masked in any output', async () => {
    const { vault } = store();
    await vault.makeMaterial([CLUSTER_CA, blueprintTls(b1!)]);
    const key = vault.material(CLUSTER_CA)['ca.key']!;
    assert.ok(isSecret(key));
    const body = key.reveal().split('\n')[1]!;
    assert.ok(!mask(`diff:\n+${body}\n`).includes(body));
    assert.ok(isSecret(vault.material(blueprintTls(b1!))['blueprint.key']));
    assert.equal(typeof vault.material(blueprintTls(b1!))['blueprint.crt'], 'string');
  });

  it('a dry run before apply makes nothing and sees stand-ins', () => {
    const { dir, vault } = store(false);
    assert.ok(isSecret(vault.material(blueprintTls(b1!))['blueprint.crt']));
    assert.equal(vault.hasMaterial(CLUSTER_CA), false);
    assert.throws(() => statSync(dir));
  });

  it('a blueprint that moves to another address gets a certificate of its new address', () => {
    const moved = clusterOf(BLUEPRINTS(2).replace('10.0.3.11', '10.0.3.21')).members('blueprint')[0]!;
    assert.notEqual(blueprintTls(moved).name, blueprintTls(b1!).name);
    assert.match(blueprintTls(b1!).name, /^blueprint-b1-[0-9a-f]{8}$/);
  });

  it('every blueprint of the inventory has its certificate in the cluster material, the CA before them', () => {
    const names = clusterMaterial(clusterOf(TIER(3))).map((m) => m.name);
    assert.ok(names.indexOf('cluster-ca') < names.findIndex((n) => n.startsWith('blueprint-b1-')));
    assert.equal(names.filter((n) => n.startsWith('blueprint-')).length, 3);
    // a certificate of your own for the public side: the blueprints are still signed by the CA
    const own = clusterMaterial(clusterOf(BLUEPRINTS(1, 'st2_tls_cert=/x.crt\nst2_tls_key=/x.key'))).map((m) => m.name);
    assert.ok(!own.includes('tls') && own.includes('cluster-ca') && own.some((n) => n.startsWith('blueprint-b1-')), own.join(' '));
  });

  it('a subjectAltName keeps addresses and host names, and leaves out what could add entries of its own', () => {
    assert.equal(subjectAltName(['blueprints.st2.internal', 'st2-multi-node-1', '10.213.0.11', 'fd00::11']), 'DNS:blueprints.st2.internal,DNS:st2-multi-node-1,IP:10.213.0.11,IP:fd00::11');
    assert.equal(subjectAltName(['b1,DNS:evil.example', 'a b', 'x\nIP:1.2.3.4', 'b1', 'b1']), 'DNS:b1');
  });
});

describe('the load balancer verifies its upstream', () => {
  it('the controller’s nginx verifies every blueprint with the cluster CA, for the blueprints’ shared name', () => {
    const conf = renderTemplate('nginx-controller.conf.ejs', {
      blueprints: [{ name: 'b1', address: '10.0.3.11' }], mistral: false, upstream_name: BLUEPRINT_TLS_NAME, upstream_ca: '/etc/ssl/st2/cluster-ca.crt',
    });
    assert.match(conf, /^ {4}proxy_ssl_verify +on;$/m);
    assert.match(conf, /^ {4}proxy_ssl_trusted_certificate \/etc\/ssl\/st2\/cluster-ca\.crt;$/m);
    assert.match(conf, /^ {4}proxy_ssl_name +blueprints\.st2\.internal;$/m);
    assert.match(conf, /^ {4}proxy_ssl_verify_depth +1;$/m);
    // the public side keeps the cluster's own pair (given, or self-signed)
    assert.match(conf, /^ {4}ssl_certificate +\/etc\/ssl\/st2\/st2\.crt;$/m);
  });

  it('check’s probe accepts a blueprint signed by the CA and refuses one that is not, or one of another name', async () => {
    const { vault } = store();
    const b1 = clusterOf(BLUEPRINTS(1)).members('blueprint')[0]!;
    await vault.makeMaterial([blueprintTls(b1)]);
    const ca = text(vault.material(CLUSTER_CA)['ca.crt']);
    const pair = vault.material(blueprintTls(b1));
    const self = tempDir('self');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${BLUEPRINT_TLS_NAME}`,
      '-addext', `subjectAltName=DNS:${BLUEPRINT_TLS_NAME}`, '-keyout', join(self, 'k'), '-out', join(self, 'c')]);
    assert.equal(made.status, 0, String(made.stderr));
    const serve = async (cert: string, key: string, probe: (port: number) => Promise<string>) => {
      const server: Server = createServer({ cert, key }, (s) => s.end('HTTP/1.1 200 OK\r\n\r\n'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        return await probe((server.address() as { port: number }).port);
      } finally {
        server.close();
      }
    };
    const opener = { withTcp: <T>(host: string, port: number, use: (s: Socket) => Promise<T>) => {
      const socket = connect(port, host);
      return new Promise<T>((resolve, reject) => socket.once('connect', () => use(socket).then(resolve, reject)).once('error', reject));
    } };
    const signed = [text(pair['blueprint.crt']), text(pair['blueprint.key'])] as const;
    assert.equal(await serve(...signed, (port) => httpStatus(opener as never, '127.0.0.1', port, '/', { ca, servername: BLUEPRINT_TLS_NAME })), 'HTTP/1.1 200 OK');
    await assert.rejects(serve(readFileSync(join(self, 'c'), 'utf8'), readFileSync(join(self, 'k'), 'utf8'), (port) => httpStatus(opener as never, '127.0.0.1', port, '/', { ca, servername: BLUEPRINT_TLS_NAME })), /self[- ]signed certificate/);
    await assert.rejects(serve(...signed, (port) => httpStatus(opener as never, '127.0.0.1', port, '/', { ca, servername: 'other.st2.internal' })), /does not match certificate's altnames|Hostname\/IP does not match/);
  });
});

describe('the cluster material is made several at once', () => {
  const cluster = clusterOf(BLUEPRINTS(3));

  it('makes each piece once, the CA before what it signs, and leaves every piece whole when one fails', async () => {
    const { dir, vault } = store();
    let calls = 0;
    const broken = { name: 'broken', files: ['x'], make: async (d: string) => {
      calls++;
      writeFileSync(join(d, 'x'), 'half');
      throw new Error('no entropy today');
    } };
    await assert.rejects(vault.makeMaterial([...clusterMaterial(cluster), broken, broken]), /no entropy today/);
    assert.equal(calls, 1, 'asked twice, made once');
    for (const spec of clusterMaterial(cluster)) assert.ok(vault.hasMaterial(spec), `${spec.name} made`);
    assert.deepEqual(readdirSync(dir).filter((e) => e.startsWith('.') || e === 'broken'), [], 'nothing of the failed piece left');
    const ca = new X509Certificate(text(vault.material(CLUSTER_CA)['ca.crt']));
    for (const b of cluster.members('blueprint')) assert.ok(new X509Certificate(text(vault.material(blueprintTls(b))['blueprint.crt'])).verify(ca.publicKey), b.name);
  });

  it('material read before it was made is a bug of st2prov, never made behind the run\'s back', () => {
    const { vault } = store();
    assert.throws(() => vault.material(CLUSTER_CA), /bug: cluster-ca is read before/);
  });
});
