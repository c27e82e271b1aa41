import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { HostContext } from '../../../src/core/context.js';
import type { Fact } from '../../../src/core/fact.js';
import { dirSync } from '../../../src/ops/dirSync.js';

const ZERO = '0'.repeat(64);

describe('packs synced from the control machine', () => {
  it('with delete, removes what the folder lacks but never the folders it is told to keep (the packs st2-pack-install put there)', async () => {
    const source = mkdtempSync(join(tmpdir(), 'st2prov-sync-'));
    try {
      mkdirSync(join(source, 'mine'));
      writeFileSync(join(source, 'mine', 'pack.yaml'), 'name: mine\n');
      // the host's listing: its files and their checksums, then the executable ones
      const listing = `present\n${ZERO}  ./mine/old.yaml\n${ZERO}  ./hello_lab/pack.yaml\n${ZERO}  ./hello_lab_extra/pack.yaml\n@@exec\n`;
      const host = {
        fact: async <T>(f: Fact<T>) => f.parse({ code: 0, stdout: listing, stderr: '' }),
        prefetch: async () => {},
      } as unknown as HostContext;
      const [c] = await dirSync({ source, dest: '/opt/stackstorm/packs', delete: true, keep: ['hello_lab'] }).plan(host);
      assert.equal(c!.summary, 'sync /opt/stackstorm/packs: 1 file(s) to send, 2 to delete');
      assert.match(c!.diff!, /^delete \/opt\/stackstorm\/packs\/hello_lab_extra\/pack\.yaml$/m);
      assert.match(c!.diff!, /^delete \/opt\/stackstorm\/packs\/mine\/old\.yaml$/m);
      assert.doesNotMatch(c!.diff!, /hello_lab\/pack\.yaml/);
    } finally {
      rmSync(source, { recursive: true, force: true });
    }
  });
});
