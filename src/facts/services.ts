import { shellScript } from '../core/command.js';
import { RemoteCommandError } from '../core/errors.js';
import { fact, familyFact, knownFact, type Fact } from '../core/fact.js';

export type InitSystem = 'systemd' | 'sysvinit';

export interface ServiceState {
  /** false when no init script or unit exists (its package is not installed yet) */
  known: boolean;
  init: InitSystem;
  running: boolean;
  enabled: boolean;
  /** systemd: masked (linked to /dev/null): it cannot be started or enabled until unmasked */
  masked: boolean;
  /** systemd: in the failed state (it stopped with an error, or did not start) */
  failed: boolean;
  /** systemd: its unit file or a drop-in changed on disk since systemd read it */
  needsDaemonReload: boolean;
  /** whether a reload is possible (systemd: the unit has ExecReload; init scripts are asked) */
  canReload: boolean;
  /** systemd: how it is enabled, in systemctl's words (enabled, disabled, static, generated, ...) */
  enablement: string;
  /** systemd: why its unit does not load (bad-setting, error), when it does not */
  loadProblem?: string;
}

/**
 * Whether an init script's service runs: a live pid in the pidfile the script names is
 * enough (some status commands boot a VM); else its `status`. Shared with the check after a start.
 */
export const SYSV_RUNNING = String.raw`sysv_running() {
  pf=$(sed -n 's/^[[:space:]]*PID_\{0,1\}FILE="\{0,1\}\(\/[^" ]*\).*/\1/p' "/etc/init.d/$1" 2>/dev/null | head -n 1)
  pid=$( [ -n "$pf" ] && [ -r "$pf" ] && head -n 1 "$pf")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then return 0; fi
  service "$1" status >/dev/null 2>&1
}`;

/*
 * systemd when it is PID 1 (/run/systemd/system exists): every unit's whole state in one
 * `systemctl show` (one block per unit, in order). An init script systemd wraps has no unit
 * file: is-enabled answers for those (through update-rc.d's links). Else sysvinit scripts
 * driven by `service` and update-rc.d; enabled: a start link in the default runlevel.
 */
const SERVICES = `${SYSV_RUNNING}
if [ -d /run/systemd/system ]; then
  echo init=systemd
  systemctl show -p LoadState -p ActiveState -p NeedDaemonReload -p CanReload -p UnitFileState -- "$@" || exit
  for u; do
    for d in /etc/systemd/system /run/systemd/system /lib/systemd/system /usr/lib/systemd/system; do [ -e "$d/$u.service" ] && continue 2; done
    [ ! -e "/etc/init.d/$u" ] || echo "@@enabled $u $(systemctl is-enabled -- "$u" 2>/dev/null)"
  done
else
  echo init=sysvinit
  for u; do
    echo
    [ -x "/etc/init.d/$u" ] && echo LoadState=loaded || echo LoadState=not-found
    sysv_running "$u" && echo ActiveState=active || echo ActiveState=inactive
    ls /etc/rc2.d/S[0-9][0-9]"$u" >/dev/null 2>&1 && echo UnitFileState=enabled || echo UnitFileState=disabled
    echo CanReload=yes
  done
fi`;

/** systemctl is-enabled words that mean "starts at boot"; static and generated units cannot be switched. */
const ENABLED = new Set(['enabled', 'enabled-runtime', 'linked', 'linked-runtime', 'alias', 'static', 'indirect', 'generated', 'transient']);

/**
 * The state of several services in one probe: one `systemctl show` for all of them (and for
 * those of every other step probed with it: see Family).
 */
export function serviceStates(names: readonly string[]): Fact<ServiceState[]> {
  if (names.length === 0) return knownFact('services:', []);
  return familyFact('services', names, unitsRead, (whole, mine, all) => mine.map((n) => whole[all.indexOf(n)]!));
}

function unitsRead(names: readonly string[]): Fact<ServiceState[]> {
  return fact(`services:${names.join(',')}`, shellScript(SERVICES, names), (r) => {
    if (r.code !== 0) throw new RemoteCommandError(`reading the state of ${names.join(', ')}`, r.code, r.stderr);
    return parseServiceStates(names, r.stdout);
  });
}

export function parseServiceStates(names: readonly string[], stdout: string): ServiceState[] {
  const [head, ...rest] = stdout.split('\n');
  const init: InitSystem = head === 'init=systemd' ? 'systemd' : 'sysvinit';
  const body = rest.filter((l) => !l.startsWith('@@enabled ')).join('\n').trim();
  const sysvEnabled = new Map(rest.filter((l) => l.startsWith('@@enabled ')).map((l) => {
    const [, unit, word] = l.split(' ');
    return [unit!, word ?? ''] as const;
  }));
  const blocks = body.split(/\n\s*\n/);
  if (blocks.length !== names.length) throw new RemoteCommandError(`reading the state of ${names.join(', ')}`, 0, `expected ${names.length} unit(s), got ${blocks.length}`);
  return names.map((name, i) => parseServiceState(init, blocks[i]!, sysvEnabled.get(name)));
}

export function parseServiceState(init: InitSystem, block: string, isEnabled?: string): ServiceState {
  const p = new Map<string, string>();
  for (const line of block.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) p.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  const load = p.get('LoadState') ?? 'not-found';
  const active = p.get('ActiveState') ?? 'inactive';
  const enablement = isEnabled || p.get('UnitFileState') || (load === 'masked' ? 'masked' : 'disabled');
  return {
    known: load !== 'not-found',
    init,
    running: active === 'active' || active === 'reloading',
    enabled: ENABLED.has(enablement),
    masked: load === 'masked' || enablement === 'masked' || enablement === 'masked-runtime',
    failed: active === 'failed',
    needsDaemonReload: p.get('NeedDaemonReload') === 'yes',
    canReload: p.get('CanReload') !== 'no',
    enablement,
    ...(load === 'bad-setting' || load === 'error' ? { loadProblem: load } : {}),
  };
}
