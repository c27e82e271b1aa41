import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostContext } from '../../../src/core/context.js';
import type { Fact } from '../../../src/core/fact.js';
import { parsePackEntry } from '../../../src/inventory/variables.js';
import { packInstall } from '../../../src/ops/packInstall.js';
import { packYamlVersion, parsePackLines, reinstallReason, type InstalledPack } from '../../../src/stackstorm/packs.js';

const URL = 'https://git.example.com/ops/stackstorm-hello.git';
const byName = parsePackEntry('aws=1.2.0', 'entry 1');
const byUrl = parsePackEntry(`${URL}=v1.0.0`, 'entry 2');
const good = (spec: string): InstalledPack => ({ version: '1.2.0', digest: 'd1', virtualenv: true, record: { spec, digest: 'd1' } });

/** A host whose packs are as `out` describes (the fact's output), recording what apply runs. */
function hostWith(out: string) {
  const ran: string[][] = [];
  const host = {
    fact: async <T>(f: Fact<T>) => f.parse({ code: 0, stdout: out, stderr: '' }),
    run: async (_what: string, cmd: { argv: string[] }) => { ran.push(cmd.argv); },
  } as unknown as HostContext;
  return { host, ran };
}

describe('packs installed with st2-pack-install', () => {
  it('read pack.yaml’s version however it is quoted', () => {
    assert.equal(packYamlVersion('version: 1.2.0'), '1.2.0');
    assert.equal(packYamlVersion('version: "1.2.0"  # pinned'), '1.2.0');
    assert.equal(packYamlVersion("version: '0.3.1'"), '0.3.1');
    assert.equal(packYamlVersion('version:'), undefined);
    assert.equal(packYamlVersion(''), undefined);
  });

  it('read a host’s packs: digest, version, virtualenv and st2prov’s record of installing it', () => {
    const packs = parsePackLines(`pack\taws\td1\tversion: 1.2.0\nvenv\taws\nrecord\taws\td0\taws=1.2.0\npack\thello\td2\t\nvenv\tghost\n`);
    assert.deepEqual([...packs], [
      ['aws', { version: '1.2.0', digest: 'd1', virtualenv: true, record: { digest: 'd0', spec: 'aws=1.2.0' } }],
      ['hello', { version: undefined, digest: 'd2', virtualenv: false, record: undefined }],
    ]);
  });

  it('install again only what is not as declared, saying why', () => {
    assert.equal(reinstallReason(byName, good('aws=1.2.0')), undefined);
    assert.equal(reinstallReason(byName, undefined), 'not installed');
    assert.equal(reinstallReason(byName, { ...good('aws=1.2.0'), record: undefined }), 'installed, but not by st2prov: its source is unknown');
    assert.equal(reinstallReason(byName, good('aws=1.1.0')), 'installed from aws=1.1.0, declared aws=1.2.0');
    assert.equal(reinstallReason(byName, { ...good('aws=1.2.0'), version: '1.3.0' }), 'its pack.yaml says version 1.3.0, declared 1.2.0');
    assert.equal(reinstallReason(byName, { ...good('aws=1.2.0'), digest: 'd2' }), 'its files changed since it was installed');
    assert.equal(reinstallReason(byName, { ...good('aws=1.2.0'), virtualenv: false }), 'its virtualenv /opt/stackstorm/virtualenvs/aws is missing');
    // a git ref says nothing of pack.yaml's version: the record decides
    assert.equal(reinstallReason(byUrl, { ...good(byUrl.spec), version: '7.0.0' }), undefined);
  });

  it('diff names exactly what the install writes; a pack as declared plans nothing', async () => {
    const { host } = hostWith(`pack\taws\td1\tversion: 1.2.0\nvenv\taws\nrecord\taws\td1\taws=1.2.0\npack\thello\td9\tversion: 1.0.0\nrecord\thello\td1\t${URL}=v0.9.0\n`);
    const changes = await packInstall({ packs: [byName, byUrl, parsePackEntry('jira', 'entry 3')], notify: ['register content'] }).plan(host);
    assert.deepEqual(changes.map((c) => [c.summary, c.diff, c.notify]), [
      [`st2-pack-install ${URL}=v1.0.0: installed from ${URL}=v0.9.0, declared ${URL}=v1.0.0`,
        `replace /opt/stackstorm/packs/hello: from ${URL} at v1.0.0\ncreate /opt/stackstorm/virtualenvs/hello\nupdate /var/lib/st2prov/packs/hello`, ['register content']],
      ['st2-pack-install jira: not installed',
        'create /opt/stackstorm/packs/jira: the newest version from the StackStorm Exchange\ncreate /opt/stackstorm/virtualenvs/jira\ncreate /var/lib/st2prov/packs/jira', ['register content']],
    ]);
  });

  it('apply runs st2-pack-install with the spec as one argument, then records it', async () => {
    const { host, ran } = hostWith('');
    const [c] = await packInstall({ packs: [byUrl] }).plan(host);
    await c!.apply();
    assert.equal(ran.length, 1);
    const [sh, flag, script, zero, ...args] = ran[0]!;
    assert.deepEqual([sh, flag, zero, args], ['sh', '-c', 'sh', ['hello', `${URL}=v1.0.0`]]);
    assert.match(script!, /^\/opt\/stackstorm\/st2\/bin\/st2-pack-install "\$spec"$/m);
    assert.match(script!, /mv -f "\/var\/lib\/st2prov\/packs\/\.\$name\.\$\$" "\/var\/lib\/st2prov\/packs\/\$name"/);
  });

  it('no declared pack: nothing read, nothing planned', async () => {
    const op = packInstall({ packs: [] });
    assert.deepEqual(op.facts!({} as HostContext), []);
    assert.deepEqual(await op.plan({} as HostContext), []);
  });
});
