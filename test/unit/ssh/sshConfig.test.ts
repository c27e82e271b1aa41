import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SshConfig } from '../../../src/ssh/sshConfig.js';
import { tempDir } from '../../harness/tempDir.js';

describe('ssh config, as OpenSSH reads it', () => {
  const dir = tempDir('sshconfig');
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
