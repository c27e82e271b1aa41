import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mask, MASK, masked, redactReplacedSecrets, rememberUrlCredentials, Secret } from '../../../src/core/secret.js';

describe('secrets', () => {
  it('never turn into their text by accident', () => {
    const s = new Secret('correct-horse-battery');
    assert.equal(`${s}`, '********');
    assert.equal(JSON.stringify({ s }), '{"s":"********"}');
    assert.equal(mask('url=postgresql://m:correct-horse-battery@h/db'), 'url=postgresql://m:********@h/db');
    assert.deepEqual(masked({ a: ['x correct-horse-battery y'] }), { a: ['x ******** y'] });
  });

  it('mask the old value of a line that now carries a secret, in removed diff lines only', () => {
    new Secret('brand-new-secret');
    const diff = '--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n-url = postgresql://m:old-unknown@10.0.3.9/db\n-port = 1\n+url = postgresql://m:brand-new-secret@10.0.3.10/db\n+port = 2';
    const after = 'url = postgresql://m:brand-new-secret@10.0.3.10/db\nport = 2\n';
    const out = redactReplacedSecrets(diff, after);
    assert.ok(!out.includes('old-unknown'));
    assert.ok(out.includes('-url = postgresql://m:********'));
    assert.ok(out.includes('-port = 1'), 'lines without secrets keep their diff');
  });

  it('are masked URL-encoded too', () => {
    new Secret('p@ss w/rd#1');
    assert.equal(mask('amqp://st2:p%40ss%20w%2Frd%231@host'), 'amqp://st2:********@host');
  });
});

describe('masking', () => {
  it('masks secrets of any length where they stand as a value, and leaves words and paths alone', () => {
    new Secret('x9');
    new Secret('st2');
    assert.equal(mask('requirepass x9'), `requirepass ${MASK}`);
    assert.equal(mask('password = "x9"'), `password = "${MASK}"`);
    assert.equal(mask('redis://:x9@10.0.0.1:6379'), `redis://:${MASK}@10.0.0.1:6379`);
    assert.equal(mask('/etc/st2/st2.conf and st2ctl'), '/etc/st2/st2.conf and st2ctl', 'a short secret does not garble paths or give itself away');
    assert.equal(mask('x99 ax9 x9b'), 'x99 ax9 x9b');
  });

  it('masks a secret of several lines line by line', () => {
    const key = '-----BEGIN TEST KEY-----\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\nMTIzNDU2Nzg5MA==\n-----END TEST KEY-----\n';
    new Secret(key);
    const diff = mask(`+QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n+MTIzNDU2Nzg5MA==\n`);
    assert.ok(!diff.includes('QUJDREVG') && !diff.includes('MTIzNDU2'), diff);
  });

  it('leaves the hunk headers of a diff alone, whatever the secret', () => {
    new Secret('3');
    assert.equal(mask('@@ -1,3 +1,4 @@'), '@@ -1,3 +1,4 @@');
    assert.equal(mask(' port = 3'), ` port = ${MASK}`);
  });

  it('masks inside JSON strings', () => {
    new Secret('json-secret-value');
    assert.deepEqual(masked({ a: ['x=json-secret-value'], s: new Secret('y') }), { a: [`x=${MASK}`], s: MASK });
  });
});

describe('credentials in URLs', () => {
  it('are masked wherever a URL is shown, known as secrets or not; hosts, accounts and other parameters stay', () => {
    const cases: [string, string][] = [
      ['url = redis://:unknown-1@10.0.3.5:6379', `url = redis://:${MASK}@10.0.3.5:6379`],
      ['zookeeper://u:unknown-2@h1:2181,h2:2181/st2', `zookeeper://u:${MASK}@h1:2181,h2:2181/st2`],
      ['rabbit://mq:unknown-3@h1:5672,mq:unknown-3@h2:5672/', `rabbit://mq:${MASK}@h1:5672,mq:${MASK}@h2:5672/`],
      ['redis://:un,known@h:1', `redis://:${MASK}@h:1`],
      ['redis://:un@known@h:1', `redis://:${MASK}@h:1`],
      ['https://ghp_unknown4@github.com/a/b.git', `https://${MASK}@github.com/a/b.git`],
      ['ssh://git@github.com/a/b.git git@github.com:a/b.git', 'ssh://git@github.com/a/b.git git@github.com:a/b.git'],
      ['redis://h:26379?sentinel=st2&password=unknown-5&sentinel_password=unknown-6&db=0', `redis://h:26379?sentinel=st2&password=${MASK}&sentinel_password=${MASK}&db=0`],
      ['mongodb://h1:27017,h2:27017/?replicaSet=st2-abc', 'mongodb://h1:27017,h2:27017/?replicaSet=st2-abc'],
      ['"https://x.example.com/?api_key=unknown-7"', `"https://x.example.com/?api_key=${MASK}"`],
    ];
    for (const [text, expected] of cases) assert.equal(mask(text), expected);
    assert.deepEqual(masked({ url: 'redis://:unknown-8@h:6379' }), { url: `redis://:${MASK}@h:6379` });
  });

  it('given by the operator, their passwords are masked where they stand outside the URL too, as written and decoded', () => {
    rememberUrlCredentials('redis://:given%2Fpw@h:6379?token=given-token');
    assert.equal(mask('requirepass given/pw'), `requirepass ${MASK}`);
    assert.equal(mask('encoded given%2Fpw, token given-token'), `encoded ${MASK}, token ${MASK}`);
  });
});

