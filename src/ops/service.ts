import { change, type Change } from '../core/change.js';
import { MissingInput } from '../core/errors.js';
import type { Operation } from '../core/operation.js';
import { serviceStates, type ServiceState } from '../facts/services.js';
import { ServiceError, serviceCommand, verifyListening, verifyRunning, type Listener, type ServiceAction } from './serviceCheck.js';

export interface ServiceSpec {
  name: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
  /** where it answers once started: checked after every start, restart or reload */
  listens?: Listener;
}

/**
 * A service's run state and boot state; restarted/reloaded always act (they are handlers), but
 * on a service the play started after the handler was notified (see PlanScope).
 */
export function service(spec: ServiceSpec): Operation {
  return services([spec], `service ${spec.name}${spec.state ? ` ${spec.state}` : ''}`);
}

/**
 * Several services brought to their states as one operation: each acted on in order, then
 * every one started, restarted or reloaded is checked to stay up, all at once (one settle
 * time for the lot, not one each). systemd first re-reads unit files that changed on disk.
 */
export function services(specs: readonly ServiceSpec[], title = `services ${specs.map((s) => s.name).join(', ')}`): Operation {
  return {
    title,
    facts: () => [serviceStates(specs.map((s) => s.name))],
    async plan(host, scope) {
      const states = await host.fact(serviceStates(specs.map((s) => s.name)));
      const planned: { name: string; action: ServiceAction | 'daemon-reload'; summary: string }[] = [];
      const stale = specs.filter((s, i) => states[i]!.init === 'systemd' && states[i]!.needsDaemonReload).map((s) => s.name);
      if (stale.length) planned.push({ name: '', action: 'daemon-reload', summary: `daemon-reload (the unit files of ${stale.join(', ')} changed on disk)` });
      specs.forEach((spec, i) => {
        for (const action of actionsFor(spec, states[i]!, scope?.startedSinceNotice?.has(spec.name) ?? false)) {
          planned.push({ name: spec.name, action, summary: summaryOf(spec.name, action, states[i]!) });
        }
      });
      const init = states[0]?.init ?? 'sysvinit';
      const started: string[] = [];
      return planned.map((p, i): Change =>
        change({
          kind: 'service',
          summary: p.summary,
          // what stops a running service interrupts what the host serves
          ...(p.action === 'stop' || p.action === 'restart' || (p.action === 'reload' && !states[specs.findIndex((s) => s.name === p.name)]!.canReload) ? { disrupts: true } : {}),
          ...(p.action === 'start' ? { starts: [p.name] } : {}),
          apply: async () => {
            if (p.action === 'daemon-reload') await host.run('systemctl daemon-reload', { argv: ['systemctl', 'daemon-reload'] });
            else await serviceCommand(host, init, p.name, actionFor(p.action, states[specs.findIndex((s) => s.name === p.name)]!));
            if (p.action === 'start' || p.action === 'restart' || p.action === 'reload') started.push(p.name);
            // the last change of the operation checks that everything it started stays up, and answers
            if (i === planned.length - 1) {
              await verifyRunning(host, init, started);
              await verifyListening(host, init, specs.filter((s) => s.listens && started.includes(s.name)).map((s) => ({ name: s.name, listens: s.listens! })));
            }
          },
        }),
      );
    },
  };
}

/** What brings a service to its spec; `fresh`: started from stopped since the handler asking was notified (see PlanScope). */
function actionsFor(spec: ServiceSpec, state: ServiceState, fresh: boolean): ServiceAction[] {
  if (!state.known) throw new MissingInput(`a unit or init script for ${spec.name}`);
  if (state.loadProblem) {
    throw new ServiceError(spec.name, `its unit does not load (${state.loadProblem}); systemd-analyze verify ${spec.name}.service says why`, [], '');
  }
  const wantsUp = spec.state === 'started' || spec.state === 'restarted' || spec.state === 'reloaded' || spec.enabled === true;
  if (state.masked && wantsUp) {
    throw new ServiceError(spec.name, `is masked on this host, so it can be neither started nor enabled; if that is not on purpose: systemctl unmask ${spec.name}`, [], '');
  }
  const actions: ServiceAction[] = [];
  if (spec.state === 'started' && !state.running) actions.push('start');
  if (spec.state === 'stopped' && state.running) actions.push('stop');
  // a unit left failed keeps the host "degraded": one meant to be off is cleared
  if (spec.state === 'stopped' && state.failed) actions.push('reset-failed');
  if (spec.state === 'restarted' && !fresh) actions.push(state.running ? 'restart' : 'start');
  if (spec.state === 'reloaded' && !fresh) actions.push(state.running ? 'reload' : 'start');
  if (spec.enabled === true && !state.enabled) actions.push('enable');
  if (spec.enabled === false && state.enabled && !state.masked && switchable(state)) actions.push('disable');
  return actions;
}

/** systemd cannot disable a static, indirect or generated unit; an init script's links can always go. */
function switchable(state: ServiceState): boolean {
  return state.init === 'sysvinit' || !['static', 'indirect', 'generated', 'transient', 'alias'].includes(state.enablement);
}

/** A unit without ExecReload is restarted where a reload was asked. */
function actionFor(action: ServiceAction, state: ServiceState): ServiceAction {
  return action === 'reload' && !state.canReload ? 'restart' : action;
}

function summaryOf(name: string, action: ServiceAction, state: ServiceState): string {
  if (action === 'reload' && !state.canReload) return `restart ${name} (its unit cannot reload)`;
  if (action === 'reset-failed') return `reset-failed ${name} (it failed earlier; it stays stopped)`;
  if (action === 'start' && state.failed) return `start ${name} (it had failed)`;
  return `${action} ${name}`;
}
