import { shellScript } from '../ssh/quote.js';
import { fact, type Fact } from './fact.js';

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
 * systemd when it is PID 1 (/run/systemd/system exists): the unit's whole state in one
 * `systemctl show`, and is-enabled (which also answers for init scripts systemd wraps).
 * Else sysvinit scripts driven by `service` and update-rc.d; enabled: a start link in the
 * default runlevel.
 */
const SERVICE = `${SYSV_RUNNING}
if [ -d /run/systemd/system ]; then
  echo init=systemd
  systemctl show -p LoadState -p ActiveState -p SubState -p NeedDaemonReload -p CanReload -- "$1"
  echo "IsEnabled=$(systemctl is-enabled -- "$1" 2>/dev/null)"
else
  echo init=sysvinit
  [ -x "/etc/init.d/$1" ] && echo LoadState=loaded || echo LoadState=not-found
  sysv_running "$1" && echo ActiveState=active || echo ActiveState=inactive
  ls /etc/rc2.d/S[0-9][0-9]"$1" >/dev/null 2>&1 && echo IsEnabled=enabled || echo IsEnabled=disabled
  echo CanReload=yes
fi`;

/** systemctl is-enabled words that mean "starts at boot"; static and generated units cannot be switched. */
const ENABLED = new Set(['enabled', 'enabled-runtime', 'linked', 'linked-runtime', 'alias', 'static', 'indirect', 'generated', 'transient']);

export function serviceState(name: string): Fact<ServiceState> {
  return fact(`service:${name}`, shellScript(SERVICE, [name]), (r) => parseServiceState(r.stdout));
}

export function parseServiceState(stdout: string): ServiceState {
  const p = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) p.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  const load = p.get('LoadState') ?? 'not-found';
  const active = p.get('ActiveState') ?? 'inactive';
  const enablement = p.get('IsEnabled') || (load === 'masked' ? 'masked' : 'disabled');
  return {
    known: load !== 'not-found',
    init: p.get('init') === 'systemd' ? 'systemd' : 'sysvinit',
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
