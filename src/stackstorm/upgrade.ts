import type { ClusterHost, ClusterView } from '../core/context.js';
import { lazy } from '../core/lazy.js';
import { blueprints } from './topology.js';
import { st2Features } from './versions.js';

// semver loaded per function, on first use (start-up time)
const compare = lazy<typeof import('semver').compare>('semver/functions/compare');

/**
 * What a change of StackStorm version asks of the cluster, from StackStorm's upgrade notes:
 * the migration scripts of every version crossed, in order, once for the cluster; a MongoDB
 * backup first when one of them cannot be undone; and the changes StackStorm does not support
 * in place, refused before any host is touched.
 */

/** A migration script StackStorm ships in /opt/stackstorm/st2/bin from the version that needs it on. */
export interface Migration {
  /** the first version that needs it: an upgrade from below it to it or above runs it */
  since: string;
  /** the command, with its arguments */
  argv: readonly string[];
  /** what it does to the data, for the plan */
  what: string;
  /** whether the data it rewrote can be read by the version before (else: back up first) */
  reversible: boolean;
}

export const ST2_BIN = '/opt/stackstorm/st2/bin';
const CONFIG = ['--config-file', '/etc/st2/st2.conf'];
const script = (name: string) => [`${ST2_BIN}/${name}`, ...CONFIG];

/** StackStorm's data migrations (st2common/bin/migrations/v*), oldest first. None has a way back. */
export const ST2_MIGRATIONS: readonly Migration[] = [
  { since: '2.1.0', argv: script('st2-migrate-datastore-scopes'), what: 'datastore items get their scope', reversible: false },
  { since: '3.1.0', argv: script('st2-cleanup-policy-delayed'), what: 'executions left policy-delayed are rescheduled', reversible: false },
  { since: '3.5.0', argv: script('st2-migrate-db-dict-field-values'), what: 'executions and results rewritten in the new field format', reversible: false },
  { since: '3.8.0', argv: script('st2-drop-st2exporter-marker-collections'), what: 'the st2exporter marker collections dropped', reversible: false },
  { since: '3.9.0', argv: script('st2-migrate-liveaction-executiondb'), what: 'live actions rewritten into the new execution schema', reversible: false },
];

/** Before 3.3 Mistral has its own database (PostgreSQL): alembic upgrades it, then its actions are registered again. */
const MISTRAL_DB_MANAGE = ['/opt/stackstorm/mistral/bin/mistral-db-manage', '--config-file', '/etc/mistral/mistral.conf'];
const MISTRAL_MIGRATIONS: readonly Migration[] = [
  { since: '', argv: [...MISTRAL_DB_MANAGE, 'upgrade', 'head'], what: 'the Mistral database schema upgraded (alembic, which can go back)', reversible: true },
  { since: '', argv: [...MISTRAL_DB_MANAGE, 'populate'], what: 'Mistral’s actions registered again', reversible: true },
];

export type VersionChange =
  | { kind: 'none'; version: string }
  | { kind: 'upgrade'; from: string; to: string; migrations: Migration[]; backup: boolean }
  | { kind: 'refused'; from: string; to: string; reason: string; remedy: string };

/** What going from the installed version to the wanted one takes, or why StackStorm does not support it in place. */
export function versionChange(from: string, to: string): VersionChange {
  const cmp = compare();
  if (cmp(from, to) === 0) return { kind: 'none', version: to };
  if (cmp(to, from) < 0) {
    return {
      kind: 'refused', from, to,
      reason: `st2 ${from} is installed and st2_version is ${to}: a downgrade, and StackStorm’s data migrations have no way back`,
      remedy: `set st2_version=${from}; to go back, restore the MongoDB backup st2prov made before the upgrade (/var/backups/st2prov on the controller) and reinstall the hosts`,
    };
  }
  if (st2Features(from).mistral && !st2Features(to).mistral) {
    return {
      kind: 'refused', from, to,
      reason: `st2 ${from} runs Mistral workflows and ${to} has no Mistral: StackStorm 3.3 removed it, and its workflows must be converted to Orquesta by hand before anything else (there is no migration for them)`,
      remedy: 'convert the Mistral workflows to Orquesta (orquestaconvert) and move the packs to them first, then deploy the new version on new blueprints; or stay below 3.3 (st2_version=3.2.0 or earlier)',
    };
  }
  const migrations = ST2_MIGRATIONS.filter((m) => cmp(m.since, from) > 0 && cmp(m.since, to) <= 0);
  if (st2Features(to).mistral) migrations.push(...MISTRAL_MIGRATIONS);
  return { kind: 'upgrade', from, to, migrations, backup: migrations.some((m) => !m.reversible) };
}

/**
 * The blueprint that runs the cluster's migrations (and registers content again): the first
 * blueprint of the run in inventory order (the first turn) that has st2 installed. Every host
 * computes the same one from the same facts, in a dry run and in the apply.
 */
export function migrationNode(cluster: ClusterView, installed: (host: ClusterHost) => string | undefined): ClusterHost | undefined {
  return blueprints(cluster).filter((b) => cluster.selected.includes(b.name)).find((b) => installed(b) !== undefined);
}

/** Where the database is: its recorded version, else the oldest st2 installed on a blueprint of the run. */
export function databaseVersion(recorded: string | undefined, installed: readonly (string | undefined)[]): string | undefined {
  if (recorded) return recorded;
  return installed.filter((v): v is string => v !== undefined).sort((a, b) => compare()(a, b))[0];
}

/** The version dpkg reports, without the package revision: 3.8.1-1 → 3.8.1. */
export function upstreamVersion(debVersion: string): string {
  return debVersion.replace(/^\d+:/, '').replace(/-[^-]*$/, '');
}
