import type { HostContext } from '../core/context.js';
import { SYSV_RUNNING, type InitSystem } from '../facts/services.js';
import { shellScript } from '../core/command.js';
import { tcpOpen } from '../probes/tcp.js';

export type ServiceAction = 'start' | 'stop' | 'restart' | 'reload' | 'enable' | 'disable' | 'reset-failed';

/** A service that did not do what it was told, with the last lines of its log. */
export class ServiceError extends Error {
  constructor(
    readonly unit: string,
    readonly problem: string,
    readonly log: readonly string[],
    readonly source: string,
  ) {
    super(`${unit}: ${problem}${log.length ? `\n  ${source}:\n${log.map((l) => `    ${l}`).join('\n')}` : ''}`);
    this.name = 'ServiceError';
  }
}

/*
 * How long a unit must stay up after a start before it counts as started. `systemctl start`
 * returns as soon as a Type=simple daemon is forked (st2's units are all simple): one that
 * fails on its config or its address exits a moment later, and Restart=on-failure turns
 * that into a loop of "activating (auto-restart)". Units that tell systemd when they are
 * ready (notify, forking, oneshot) are checked once. A unit still starting after the bound fails.
 */
const SETTLE_TICKS = 10;
const TICK_SECONDS = 0.1;
const BOUND_TICKS = 300;
const LOG_LINES = 20;

const JOURNAL = (unit: string) => ['journalctl', '-u', unit, '-n', String(LOG_LINES), '--no-pager'];

// sysvinit keeps no journal: the first log file named after the service (its own, or in a folder of its package)
const SYSV_LOG = `for f in "/var/log/$1.log" /var/log/*/"$1.log"; do [ -r "$f" ] && { echo "$f"; tail -n ${LOG_LINES} "$f"; exit 0; }; done; exit 1`;

/** Runs one service action; a failure carries the unit's journal (or the init script's log). */
export async function serviceCommand(host: HostContext, init: InitSystem, name: string, action: ServiceAction): Promise<void> {
  const argv = commandFor(init, name, action);
  const r = await host.exec({ argv });
  if (r.code === 0) return;
  const output = (r.stderr || r.stdout).trim();
  const problem = `${argv.join(' ')} failed (exit ${r.code ?? 'signal'})${output ? `: ${output.split('\n').slice(0, 3).join(' ')}` : ''}`;
  if (action === 'enable' || action === 'disable' || action === 'reset-failed') throw new ServiceError(name, problem, [], '');
  throw await withLog(host, init, name, problem);
}

function commandFor(init: InitSystem, name: string, action: ServiceAction): string[] {
  if (init === 'systemd') return ['systemctl', action, name];
  if (action === 'enable') return ['update-rc.d', name, 'defaults'];
  if (action === 'disable') return ['update-rc.d', '-f', name, 'remove'];
  if (action === 'reset-failed') return ['true'];
  return ['service', name, action];
}

async function withLog(host: HostContext, init: InitSystem, name: string, problem: string): Promise<ServiceError> {
  if (init === 'systemd') {
    const r = await host.exec({ argv: JOURNAL(name) });
    return new ServiceError(name, problem, lines(r.stdout), JOURNAL(name).join(' '));
  }
  const r = await host.exec({ argv: shellScript(SYSV_LOG, [name]) });
  const [file, ...log] = lines(r.stdout);
  return new ServiceError(name, problem, r.code === 0 ? log : [], r.code === 0 ? `tail -n ${LOG_LINES} ${file}` : '');
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '' && l !== '-- No entries --');
}

/*
 * Every unit given is watched at once until each has stayed up with the same main process
 * for the settle time, or one is found failed, restarting, or stopped. Prints one block per
 * unit that did not stay up: a "@@failed UNIT why" line and its journal.
 */
const SYSTEMD_VERIFY = String.raw`settle=$1 bound=$2 tick_s=$3; shift 3
tick=0 rc=0
while :; do
  pending=0 i=0
  for u in "$@"; do
    i=$((i+1))
    eval "d=\${d$i:-}"; [ -n "$d" ] && continue
    A= S= P= T= R=
    while IFS='=' read -r k v; do
      case $k in ActiveState) A=$v;; SubState) S=$v;; MainPID) P=$v;; Type) T=$v;; Result) R=$v;; esac
    done <<EOF
$(systemctl show -p ActiveState -p SubState -p MainPID -p Type -p Result -- "$u")
EOF
    eval "p=\${p$i:-} n=\${n$i:-0}"
    case $T in simple|exec|idle) need=$settle;; *) need=1;; esac
    bad=
    case $A/$S in
      active/*|reloading/*)
        if [ -n "$p" ] && [ "$p" != "$P" ]; then bad="its main process $p ended and systemd replaced it with $P"; else n=$((n+1)); fi ;;
      activating/auto-restart) bad="it exited (result: $R) and systemd will try again";;
      activating/*|deactivating/*) n=0 ;;
      failed/*) bad="it failed (result: $R)";;
      inactive/*) if [ "$T" = oneshot ] && [ "$R" = success ]; then n=$need; else bad="it stopped right after it started (result: $R)"; fi ;;
      *) bad="it is $A ($S)";;
    esac
    if [ -z "$bad" ] && [ "$tick" -ge "$bound" ] && [ "$n" -lt "$need" ]; then bad="it was still $A ($S) after the bound"; fi
    if [ -n "$bad" ]; then
      printf '@@failed %s %s\n' "$u" "$bad"
      journalctl -u "$u" -n ${LOG_LINES} --no-pager 2>&1
      eval "d$i=1"; rc=1; continue
    fi
    eval "p$i=\$P n$i=\$n"
    if [ "$n" -ge "$need" ]; then eval "d$i=1"; else pending=1; fi
  done
  [ "$pending" = 0 ] && break
  tick=$((tick+1))
  sleep "$tick_s"
done
exit $rc`;

const SYSV_VERIFY = `${SYSV_RUNNING}
sleep "$1"; shift
rc=0
for u in "$@"; do
  sysv_running "$u" && continue
  printf '@@failed %s %s\\n' "$u" "it is not running after its init script returned"
  for f in "/var/log/$u.log" /var/log/*/"$u.log"; do [ -r "$f" ] && { echo "@@source tail -n ${LOG_LINES} $f"; tail -n ${LOG_LINES} "$f"; break; }; done
  rc=1
done
exit $rc`;

/**
 * After start, restart or reload: each unit must stay up (same main process, not failed, not
 * restarting) for the settle time, within a bound. Throws for the first that did not, with
 * the last lines of its journal (sysvinit: of its log file).
 */
export async function verifyRunning(host: HostContext, init: InitSystem, units: readonly string[]): Promise<void> {
  if (units.length === 0) return;
  const argv = init === 'systemd'
    ? shellScript(SYSTEMD_VERIFY, [String(SETTLE_TICKS), String(BOUND_TICKS), String(TICK_SECONDS), ...units])
    : shellScript(SYSV_VERIFY, [String(SETTLE_TICKS * TICK_SECONDS), ...units]);
  const r = await host.exec({ argv });
  if (r.code === 0) return;
  const blocks = r.stdout.split(/^@@failed /m).slice(1);
  if (blocks.length === 0) throw new ServiceError(units.join(', '), `could not check that it runs (exit ${r.code ?? 'signal'}): ${r.stderr.trim()}`, [], '');
  const errors = blocks.map((block) => {
    const [head, ...rest] = block.split('\n');
    const space = head!.indexOf(' ');
    const unit = head!.slice(0, space);
    const sourceLine = rest.find((l) => l.startsWith('@@source '));
    const source = sourceLine ? sourceLine.slice('@@source '.length) : init === 'systemd' ? JOURNAL(unit).join(' ') : '';
    return new ServiceError(unit, `did not stay up: ${head!.slice(space + 1)}`, lines(rest.filter((l) => !l.startsWith('@@source ')).join('\n')), source);
  });
  if (errors.length === 1) throw errors[0]!;
  throw new ServiceError(errors.map((e) => e.unit).join(', '), `${errors.length} services did not stay up\n${errors.map((e) => e.message).join('\n')}`, [], '');
}

/** Where a service answers once it runs: what a start is checked against beyond "it stays up". */
export interface Listener {
  address: string;
  port: number;
}

const LISTEN_BOUND_MS = 90_000;
const LISTEN_POLL_MS = 200;

/**
 * After a start, restart or reload: each service that listens answers on its address and
 * port (a TCP connection from the host itself), within a bound. A service that runs but never
 * answers (a wrong bind address, a port taken by another) fails, with its log.
 */
export async function verifyListening(host: HostContext, init: InitSystem, listeners: readonly { name: string; listens: Listener }[], boundMs = LISTEN_BOUND_MS): Promise<void> {
  await Promise.all(listeners.map(async ({ name, listens }) => {
    const deadline = Date.now() + boundMs;
    while (!(await tcpOpen(host, listens.address, listens.port))) {
      if (Date.now() > deadline) throw await withLog(host, init, name, `runs but does not answer on ${listens.address}:${listens.port} within ${boundMs / 1000} s`);
      await new Promise((r) => setTimeout(r, LISTEN_POLL_MS));
    }
  }));
}
