import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KnownHosts, fingerprint } from '../../src/ssh/knownHosts.js';
import { commandLine, quote } from '../../src/core/command.js';
import { SshConfig } from '../../src/ssh/sshConfig.js';

/** An ed25519 public key in SSH wire format, as a server presents it. */
function ed25519Blob(): Buffer {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]);
}

describe('shell quoting', () => {
  it('keeps every argument one word whatever it contains', () => {
    assert.equal(quote('plain-arg_1.conf'), 'plain-arg_1.conf');
    assert.equal(quote(''), "''");
    assert.equal(quote("it's $(rm -rf /) `x` \"y\" ; | & \n"), `'it'\\''s $(rm -rf /) \`x\` "y" ; | & \n'`);
    assert.equal(commandLine(['echo', 'a b', '*']), "echo 'a b' '*'");
  });
});

describe('known_hosts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'st2prov-kh-'));
  const key = ed25519Blob();
  const other = ed25519Blob();
  const b64 = key.toString('base64');

  it('finds plain entries, with [host]:port for other ports', () => {
    const file = join(dir, 'plain');
    writeFileSync(file, `# comment\n[10.1.2.3]:2222 ssh-ed25519 ${b64}\nexample.org,10.9.9.9 ssh-ed25519 ${b64}\n`);
    const kh = new KnownHosts(file);
    assert.equal(kh.verify('10.1.2.3', 2222, key).status, 'known');
    assert.equal(kh.verify('10.9.9.9', 22, key).status, 'known');
    assert.equal(kh.verify('10.1.2.3', 22, key).status, 'unknown');
    assert.deepEqual(kh.knownTypes('10.1.2.3', 2222), ['ssh-ed25519']);
  });

  it('finds hashed entries', () => {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('[127.0.0.1]:2200').digest('base64');
    const file = join(dir, 'hashed');
    writeFileSync(file, `|1|${salt.toString('base64')}|${hash} ssh-ed25519 ${b64}\n`);
    assert.equal(new KnownHosts(file).verify('127.0.0.1', 2200, key).status, 'known');
  });

  it('reports a changed key with the line of the old one, and a revoked key', () => {
    const file = join(dir, 'changed');
    writeFileSync(file, `\nhostA ssh-ed25519 ${b64}\n@revoked hostB ssh-ed25519 ${other.toString('base64')}\n`);
    const kh = new KnownHosts(file);
    const verdict = kh.verify('hostA', 22, other);
    assert.equal(verdict.status, 'changed');
    assert.equal(verdict.status === 'changed' && verdict.line, 2);
    assert.equal(verdict.status === 'changed' && verdict.fingerprint, fingerprint(other));
    assert.equal(kh.verify('hostB', 22, other).status, 'revoked');
  });

  it('appends hashed entries without rewriting the file', () => {
    const file = join(dir, 'append');
    writeFileSync(file, '# keep me\n');
    new KnownHosts(file).append('10.7.7.7', 2022, key);
    const text = readFileSync(file, 'utf8');
    assert.ok(text.startsWith('# keep me\n|1|'));
    assert.ok(!text.includes('10.7.7.7'));
    assert.equal(new KnownHosts(file).verify('10.7.7.7', 2022, key).status, 'known');
  });

  it('gives OpenSSH-style SHA256 fingerprints', () => {
    assert.match(fingerprint(key), /^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

describe('ssh config, as OpenSSH reads it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'st2prov-sshconfig-'));
  mkdirSync(join(dir, 'conf.d'));
  writeFileSync(join(dir, 'conf.d', '10-st2.conf'), `Host st2-* !st2-skip
  User ops
  IdentityFile ~/.ssh/st2_%h
  ProxyJump jump@bastion:22
`);
  const file = join(dir, 'config');
  writeFileSync(file, `Include ${dir}/conf.d/*.conf

Match host st2-node-2 user deploy
  Port 2200

Host bastion
  HostName 192.0.2.1
  User jump

Host *
  User fallback
  Port 2222
  IdentityFile ~/.ssh/id_default
`);
  const config = SshConfig.load(file);

  it('follows Include, takes the first value of each option, and accumulates identity files', async () => {
    const e = await config.lookup('st2-node-1');
    assert.equal(e.user, 'ops');
    assert.equal(e.port, 2222);
    assert.equal(e.proxyJump, 'jump@bastion:22');
    assert.deepEqual(e.identityFiles.map((f) => f.slice(f.lastIndexOf('/') + 1)), ['st2_st2-node-1', 'id_default']);
    assert.equal(e.hostName, undefined, 'no HostName: the alias is the host');
  });

  it('honours negated patterns and HostName', async () => {
    assert.equal((await config.lookup('st2-skip')).user, 'fallback');
    assert.equal((await config.lookup('bastion')).hostName, '192.0.2.1');
  });

  it('honours Match, with the user the inventory gives taking part', async () => {
    assert.equal((await config.lookup('st2-node-2', { user: 'deploy' })).port, 2200);
    assert.equal((await config.lookup('st2-node-2', { user: 'other' })).port, 2222);
  });

  it('refuses a config file that does not exist, and one OpenSSH cannot read', async () => {
    assert.throws(() => SshConfig.load(join(dir, 'missing')), /--ssh-config .*missing does not exist/);
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'Host x\n  NoSuchOption yes\n');
    await assert.rejects(SshConfig.load(bad).lookup('x'), /line 2: Bad configuration option: nosuchoption/);
  });
});
