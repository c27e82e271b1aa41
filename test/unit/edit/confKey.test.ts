import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ENV_STYLE, getConfKey, pgValue, POSTGRES_STYLE, REDIS_STYLE, setConfKey } from '../../../src/edit/confKey.js';
import { debianPostgresFile } from '../../harness/debianFiles.js';
import { tempDir } from '../../harness/tempDir.js';

const comments = (text: string) => text.split('\n').filter((l) => /^\s*#/.test(l));
const temp = (name: string) => tempDir(name);

describe('config key edits on Debian’s postgresql.conf', () => {
  const original = debianPostgresFile('postgresql.conf');

  it('uncomments listen_addresses in place, keeping its trailing comment and every other comment', () => {
    const edited = setConfKey(original, 'listen_addresses', pgValue('10.0.3.10'));
    const line = edited.split('\n').find((l) => l.startsWith('listen_addresses'));
    assert.ok(line);
    assert.match(line, /^listen_addresses = '10\.0\.3\.10'\s+# what IP address\(es\) to listen on;$/);
    assert.equal(getConfKey(edited, 'listen_addresses'), "'10.0.3.10'");
    assert.equal(comments(edited).length, comments(original).length - 1);
    assert.equal(edited.split('\n').length, original.split('\n').length);
  });

  it('is idempotent', () => {
    const once = setConfKey(original, 'listen_addresses', pgValue('10.0.3.10'));
    assert.equal(setConfKey(once, 'listen_addresses', pgValue('10.0.3.10')), once);
  });

  it('ends with one active line when the key was set twice by hand', () => {
    const hand = `${original}\n# added by hand\nlisten_addresses = '*'\nlisten_addresses='localhost'   # again\n`;
    const edited = setConfKey(hand, 'listen_addresses', pgValue('10.0.3.10'));
    assert.equal(edited.split('\n').filter((l) => /^\s*listen_addresses/.test(l)).length, 1);
    assert.ok(edited.includes('# added by hand'));
  });

  it('keeps a quoted value containing # and quotes whole, and reads it back', () => {
    const value = pgValue("a#b 'c' ;d");
    const edited = setConfKey(original, 'cluster_name', value);
    assert.equal(getConfKey(edited, 'cluster_name'), value);
    assert.equal(getConfKey(setConfKey(edited, 'cluster_name', value), 'cluster_name'), value);
  });

  it('edits mongodb.conf style files and appends a key that is nowhere', () => {
    const mongo = '# mongodb.conf\n\n# Where to store the data.\ndbpath=/var/lib/mongodb\n\nbind_ip = 127.0.0.1\n#port = 27017\n';
    const edited = setConfKey(setConfKey(mongo, 'bind_ip', '10.0.3.10'), 'port', '27017');
    assert.equal(edited, '# mongodb.conf\n\n# Where to store the data.\ndbpath=/var/lib/mongodb\n\nbind_ip = 10.0.3.10\nport = 27017\n');
    assert.match(setConfKey(mongo, 'journal', 'true'), /\njournal = true\n$/);
  });

  it('does not mistake prose comments for disabled keys', () => {
    const text = '# port is where we listen\n#port = 5432\n';
    assert.equal(setConfKey(text, 'port', '5433'), '# port is where we listen\nport = 5433\n');
  });
});

describe('config key edits in other syntaxes', () => {
  it('redis.conf: "key value", the disabled "# requirepass foobared" replaced in place, prose left alone', () => {
    const redis = '# Redis configuration\n# bind 192.168.1.100 10.0.0.1     # listens on two addresses\nbind 127.0.0.1 -::1\n\n# IMPORTANT NOTE: starting with Redis 6 "requirepass" is just a compatibility\n# requirepass foobared\n';
    const style = { separator: ' ' };
    const edited = setConfKey(setConfKey(redis, 'bind', '10.0.3.10 127.0.0.1', style), 'requirepass', 'p#w;d', style);
    assert.equal(edited, '# Redis configuration\n# bind 192.168.1.100 10.0.0.1     # listens on two addresses\nbind 10.0.3.10 127.0.0.1\n\n# IMPORTANT NOTE: starting with Redis 6 "requirepass" is just a compatibility\nrequirepass p#w;d\n');
    assert.equal(setConfKey(edited, 'requirepass', 'p#w;d', style), edited);
  });

  it('shell env files: KEY=value, the commented default uncommented in place', () => {
    const env = '# address family.\n#NODE_IP_ADDRESS=127.0.0.1\n\n# Defaults to 5672.\n#NODE_PORT=5672\n';
    assert.equal(setConfKey(env, 'NODE_IP_ADDRESS', '10.0.3.10', { separator: '=' }), '# address family.\nNODE_IP_ADDRESS=10.0.3.10\n\n# Defaults to 5672.\n#NODE_PORT=5672\n');
  });
});

describe('values encoded for the file they go into', () => {
  const hostile = `sp ace 'single' "double" $dollar \`tick\` back\\slash ;semi #hash %pct @at :colon /slash é 中 ${'x'.repeat(64)}`;

  it('redis.conf arguments read back by a Redis-style splitter', () => {
    const line = REDIS_STYLE.encode(hostile);
    assert.match(line, /^".*"$/);
    assert.ok(!/\n/.test(line));
    // sdssplitargs' rules: \\ \" \xHH in double quotes
    const back = Buffer.from(line.slice(1, -1).replace(/\\x([0-9a-f]{2})|\\(.)/g, (_m, hex: string | undefined, ch: string | undefined) => (hex ? String.fromCharCode(parseInt(hex, 16)) : ch!)), 'latin1').toString('utf8');
    assert.equal(back, hostile);
    assert.equal(REDIS_STYLE.encode(['10.0.0.1', '127.0.0.1']), '10.0.0.1 127.0.0.1', 'several arguments stay several');
  });

  it('shell env files read back by sh', () => {
    const dir = temp('env');
    writeFileSync(join(dir, 'env'), `VALUE=${ENV_STYLE.encode(hostile)}\n`);
    const r = spawnSync('sh', ['-c', '. "$1"; printf "%s" "$VALUE"', 'sh', join(dir, 'env')], { encoding: 'utf8' });
    assert.equal(r.stdout, hostile);
  });

  it('postgresql.conf strings with quotes doubled', () => {
    assert.equal(POSTGRES_STYLE.encode("a'b"), "'a''b'");
    assert.equal(POSTGRES_STYLE.encode(['localhost', '10.0.0.1']), "'localhost,10.0.0.1'");
  });
});
