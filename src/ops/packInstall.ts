import { change } from '../core/change.js';
import { shellScript } from '../core/command.js';
import type { Operation } from '../core/operation.js';
import type { DeclaredPack } from '../inventory/variables.js';
import { INSTALL_AND_RECORD, PACKS_DIR, PACK_RECORDS, VIRTUALENVS_DIR, installedPacks, reinstallReason, type InstalledPack } from '../stackstorm/packs.js';

export interface PackInstallSpec {
  /** every declared pack: their state is read in one command */
  packs: readonly DeclaredPack[];
  notify?: string[];
}

/**
 * The declared packs, each installed with st2-pack-install when it is not there as declared
 * (see stackstorm/packs.ts for how that is known); one change per pack.
 */
export function packInstall(spec: PackInstallSpec): Operation {
  const names = spec.packs.map((p) => p.name);
  return {
    title: `packs installed: ${names.join(', ')}`,
    facts: () => (names.length ? [installedPacks(names)] : []),
    async plan(host) {
      if (!names.length) return [];
      const installed = await host.fact(installedPacks(names));
      return spec.packs.flatMap((pack) => {
        const reason = reinstallReason(pack, installed.get(pack.name));
        if (!reason) return [];
        return [change({
          kind: 'pack',
          summary: `st2-pack-install ${pack.spec}: ${reason}`,
          diff: installDescription(pack, installed.get(pack.name)),
          ...(spec.notify ? { notify: spec.notify } : {}),
          apply: async () => {
            await host.run(`installing pack ${pack.name}`, { argv: shellScript(INSTALL_AND_RECORD, [pack.name, pack.spec]) });
          },
        })];
      });
    },
  };
}

/** What the install writes, one line each: the pack's folder, its virtualenv, st2prov's record. */
export function installDescription(pack: DeclaredPack, installed: InstalledPack | undefined): string {
  const from = pack.url
    ? `from ${pack.url} at ${pack.ref ?? 'its default branch'}`
    : pack.version ? `version ${pack.version} from the StackStorm Exchange` : 'the newest version from the StackStorm Exchange';
  return [
    `${installed ? 'replace' : 'create'} ${PACKS_DIR}/${pack.name}: ${from}`,
    `${installed?.virtualenv ? 'rebuild' : 'create'} ${VIRTUALENVS_DIR}/${pack.name}`,
    `${installed?.record ? 'update' : 'create'} ${PACK_RECORDS}/${pack.name}`,
  ].join('\n');
}
