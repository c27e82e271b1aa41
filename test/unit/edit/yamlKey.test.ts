import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setYamlKey } from '../../../src/edit/yamlKey.js';

describe('YAML keys (mongod.conf)', () => {
  const conf = '# mongod.conf\n\nstorage:\n  dbPath: /var/lib/mongodb\n\n# network interfaces\nnet:\n  port: 27017\n  bindIp: 127.0.0.1  # local only\n\nprocessManagement:\n  timeZoneInfo: /usr/share/zoneinfo\n';
  it('replaces net.bindIp in place, keeping its comment and the rest', () => {
    const edited = setYamlKey(conf, 'net', 'bindIp', '127.0.0.1,10.0.3.10');
    assert.equal(edited, conf.replace('bindIp: 127.0.0.1  # local only', 'bindIp: 127.0.0.1,10.0.3.10  # local only'));
    assert.equal(setYamlKey(edited, 'net', 'bindIp', '127.0.0.1,10.0.3.10'), edited);
  });
  it('adds a missing key under its parent, and a missing parent at the end', () => {
    assert.match(setYamlKey('net:\n  port: 27017\n', 'net', 'bindIp', 'x'), /^net:\n  bindIp: x\n  port: 27017\n$/);
    assert.match(setYamlKey('storage:\n  dbPath: /d\n', 'net', 'bindIp', 'x'), /\nnet:\n  bindIp: x\n$/);
  });
});
