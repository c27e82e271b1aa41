import { shellScript } from '../core/command.js';
import { fact, type Fact } from '../core/fact.js';

export type InitSystem = 'systemd' | 'sysvinit';

export interface ServiceState {
  /** false when no init script or unit exists (its package is not installed yet) */
  known: boolean;
  init: InitSystem;
  running: boolean;
  enabled: boolean;
}

/*
 * systemd when it is PID 1 (/run/systemd/system exists), else sysvinit scripts driven by
 * `service` and update-rc.d. Enabled under sysvinit: a start link in the default runlevel.
 */
const SERVICE = String.raw`if [ -d /run/systemd/system ]; then
  echo systemd
  systemctl cat "$1" >/dev/null 2>&1 && echo known || echo unknown
  systemctl is-active --quiet "$1" && echo running || echo stopped
  systemctl is-enabled --quiet "$1" 2>/dev/null && echo enabled || echo disabled
else
  echo sysvinit
  [ -x "/etc/init.d/$1" ] && echo known || echo unknown
  # a live pid in the pidfile the init script names is enough; some status commands boot a VM
  pf=$(sed -n 's/^[[:space:]]*PID_\{0,1\}FILE="\{0,1\}\(\/[^" ]*\).*/\1/p' "/etc/init.d/$1" 2>/dev/null | head -n 1)
  pid=$( [ -n "$pf" ] && [ -r "$pf" ] && head -n 1 "$pf")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo running
  else service "$1" status >/dev/null 2>&1 && echo running || echo stopped; fi
  ls /etc/rc2.d/S[0-9][0-9]"$1" >/dev/null 2>&1 && echo enabled || echo disabled
fi`;

export function serviceState(name: string): Fact<ServiceState> {
  return fact(`service:${name}`, shellScript(SERVICE, [name]), (r) => {
    const [init, known, run, enabled] = r.stdout.trim().split('\n');
    return { known: known === 'known', init: init === 'systemd' ? 'systemd' : 'sysvinit', running: run === 'running', enabled: enabled === 'enabled' };
  });
}
