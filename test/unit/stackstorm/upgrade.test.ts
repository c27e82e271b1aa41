import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterView } from '../../../src/inventory/selection.js';
import { settle } from '../../../src/inventory/settings.js';
import { resolveInventory } from '../../../src/inventory/inventory.js';
import { parseInventory } from '../../../src/inventory/parse.js';
import { databaseVersion, migrationNode, upstreamVersion, versionChange } from '../../../src/stackstorm/upgrade.js';
import { BLUEPRINTS } from '../../harness/clusters.js';

const scripts = (from: string, to: string) => {
  const vc = versionChange(from, to);
  assert.equal(vc.kind, 'upgrade');
  return vc.kind === 'upgrade' ? vc.migrations.map((m) => m.argv[0]!.split('/').pop()) : [];
};

describe('version changes', () => {
  it('the same version needs nothing', () => {
    assert.deepEqual(versionChange('3.8.1', '3.8.1'), { kind: 'none', version: '3.8.1' });
  });

  it('runs the migration scripts of every version crossed, oldest first, and none of the versions not crossed', () => {
    assert.deepEqual(scripts('3.4.1', '3.8.1'), ['st2-migrate-db-dict-field-values', 'st2-drop-st2exporter-marker-collections']);
    assert.deepEqual(scripts('3.8.1', '3.9.0'), ['st2-migrate-liveaction-executiondb']);
    assert.deepEqual(scripts('3.3.0', '3.9.0'), ['st2-migrate-db-dict-field-values', 'st2-drop-st2exporter-marker-collections', 'st2-migrate-liveaction-executiondb']);
    assert.deepEqual(scripts('3.8.0', '3.8.1'), [], 'a version that needs a migration is not crossed again from itself');
    assert.deepEqual(scripts('3.5.0', '3.7.1'), []);
  });

  it('backs MongoDB up before a migration that cannot be undone, not when there is none', () => {
    const crossing = versionChange('3.4.1', '3.8.1');
    assert.ok(crossing.kind === 'upgrade' && crossing.backup);
    const patch = versionChange('3.6.0', '3.7.1');
    assert.ok(patch.kind === 'upgrade' && !patch.backup && patch.migrations.length === 0);
  });

  it('in the Mistral era, upgrades Mistral’s own database too (alembic can go back: no MongoDB backup for it alone)', () => {
    assert.deepEqual(scripts('2.10.3', '2.10.4'), ['mistral-db-manage', 'mistral-db-manage']);
    const vc = versionChange('2.10.3', '2.10.4');
    assert.ok(vc.kind === 'upgrade' && !vc.backup);
    assert.deepEqual(vc.kind === 'upgrade' && vc.migrations.map((m) => m.argv.slice(-2).join(' ')), ['upgrade head', '/etc/mistral/mistral.conf populate']);
    assert.deepEqual(scripts('2.0.1', '2.2.0'), ['st2-migrate-datastore-scopes', 'mistral-db-manage', 'mistral-db-manage']);
    assert.deepEqual(scripts('2.10.4', '3.2.0'), ['st2-cleanup-policy-delayed', 'mistral-db-manage', 'mistral-db-manage'], '3.0 to 3.2 still have Mistral');
  });

  it('refuses the Mistral era to 3.3 or later, and a downgrade, each with the reason and what to do', () => {
    const mistral = versionChange('2.10.4', '3.8.1');
    assert.equal(mistral.kind, 'refused');
    assert.match(mistral.kind === 'refused' ? mistral.reason : '', /3\.3 removed it.*Orquesta/);
    assert.match(mistral.kind === 'refused' ? mistral.remedy : '', /orquestaconvert/);
    assert.equal(versionChange('3.2.0', '3.3.0').kind, 'refused');
    const down = versionChange('3.9.0', '3.8.1');
    assert.equal(down.kind, 'refused');
    assert.match(down.kind === 'refused' ? down.reason : '', /downgrade/);
  });
});

describe('where the cluster’s migrations run', () => {
  const cluster = (limit?: string[]) => {
    const settled = settle(resolveInventory(parseInventory(BLUEPRINTS(3), 'c.ini')));
    return clusterView(settled, limit ?? settled.hosts.map((h) => h.name));
  };

  it('on the first blueprint of the run, in inventory order, that has st2 installed', () => {
    const installed: Record<string, string | undefined> = { b1: undefined, b2: '3.4.1', b3: '3.4.1' };
    assert.equal(migrationNode(cluster(), (b) => installed[b.name])?.name, 'b2');
    assert.equal(migrationNode(cluster(['b3']), (b) => installed[b.name])?.name, 'b3', '--limit: a blueprint of the run');
    assert.equal(migrationNode(cluster(), () => undefined), undefined, 'a fresh cluster migrates nothing');
  });

  it('from the recorded database version, else from the oldest st2 installed', () => {
    assert.equal(databaseVersion('3.8.1', ['3.4.1', undefined]), '3.8.1');
    assert.equal(databaseVersion(undefined, ['3.8.1', undefined, '3.4.1', '3.10.0']), '3.4.1');
    assert.equal(databaseVersion(undefined, [undefined]), undefined);
  });

  it('reads dpkg’s version without epoch and revision', () => {
    assert.equal(upstreamVersion('3.8.1-1'), '3.8.1');
    assert.equal(upstreamVersion('1:2.4.14-4'), '2.4.14');
  });
});
