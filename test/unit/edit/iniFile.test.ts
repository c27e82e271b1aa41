import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse as parseIni } from 'ini';
import { getIniKey, removeIniKey, setIniKey } from '../../../src/edit/iniFile.js';

const fixture = (name: string) => readFileSync(new URL(`../../../../test/fixtures/${name}`, import.meta.url), 'utf8');
const comments = (text: string) => text.split('\n').filter((l) => /^\s*[#;]/.test(l));

describe('INI key edits on a commented mistral.conf', () => {
  const original = fixture('mistral.conf');
  const url = 'postgresql+psycopg2://mistral:p%40ss#w;rd=@10.0.3.10/mistral';

  it('replaces the commented key in place and keeps every other comment', () => {
    const edited = setIniKey(original, 'database', 'connection', url);
    const lines = edited.split('\n');
    const at = lines.indexOf(`connection = ${url}`);
    assert.ok(at > 0, 'the key is set');
    assert.match(lines[at - 1]!, /Deprecated group\/name/, 'at the place of the commented key');
    assert.equal(lines.filter((l) => l.startsWith('connection')).length, 1);
    const before = comments(original).filter((l) => l !== '#connection = <None>');
    assert.deepEqual(comments(edited), before);
  });

  it('keeps a value with #, ;, =, quotes and spaces whole', () => {
    const value = `amqp://st2:"we ird";#pw=x@10.0.3.10:5672//`;
    const edited = setIniKey(original, 'DEFAULT', 'transport_url', value);
    assert.equal(getIniKey(edited, 'DEFAULT', 'transport_url'), value);
  });

  it('is idempotent: a second edit changes nothing', () => {
    const once = setIniKey(original, 'database', 'connection', url);
    assert.equal(setIniKey(once, 'database', 'connection', url), once);
  });

  it('leaves exactly one active line when the key was duplicated by hand', () => {
    const hand = original.replace('[database]\n', '[database]\nconnection = old1\n# keep me\nconnection = old2\n');
    const edited = setIniKey(hand, 'database', 'connection', 'new');
    assert.equal(edited.split('\n').filter((l) => /^connection\s*=/.test(l)).length, 1);
    assert.equal(getIniKey(edited, 'database', 'connection'), 'new');
    assert.ok(edited.includes('# keep me'));
    assert.ok(edited.includes('#connection = <None>'), 'the commented example stays when an active line exists');
  });

  it('only touches the named section', () => {
    const edited = setIniKey(original, 'api', 'port', '8990');
    assert.equal(getIniKey(edited, 'api', 'port'), '8990');
    assert.equal(getIniKey(edited, 'database', 'port'), undefined);
  });

  it('adds a missing section at the end and a missing key inside its section', () => {
    let edited = setIniKey(original, 'coordination', 'url', 'redis://:pw@10.0.3.10:6379');
    assert.match(edited, /\n\n\[coordination\]\nurl = redis:\/\/:pw@10\.0\.3\.10:6379\n$/);
    edited = setIniKey(edited, 'pecan', 'auth_enable', 'false');
    const parsed = parseIni(edited) as Record<string, Record<string, string>>;
    assert.equal(String(parsed.pecan!.auth_enable), 'false');
    assert.ok(edited.indexOf('auth_enable') < edited.indexOf('[coordination]'));
  });

  it('removes active keys of one section, keeping comments', () => {
    const edited = removeIniKey(setIniKey(original, 'api', 'host', '127.0.0.1'), 'api', 'host');
    assert.equal(getIniKey(edited, 'api', 'host'), undefined);
    assert.ok(edited.includes('#host = 0.0.0.0') || edited.includes('# Mistral API server host'));
  });
});
