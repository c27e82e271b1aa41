import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandLine, quote } from '../../../src/core/command.js';

describe('shell quoting', () => {
  it('keeps every argument one word whatever it contains', () => {
    assert.equal(quote('plain-arg_1.conf'), 'plain-arg_1.conf');
    assert.equal(quote(''), "''");
    assert.equal(quote("it's $(rm -rf /) `x` \"y\" ; | & \n"), `'it'\\''s $(rm -rf /) \`x\` "y" ; | & \n'`);
    assert.equal(commandLine(['echo', 'a b', '*']), "echo 'a b' '*'");
  });
});
