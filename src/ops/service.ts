import { MissingInput } from '../core/errors.js';
import { change, type Change } from '../core/change.js';
import type { HostContext } from '../core/context.js';
import type { Operation } from '../core/operation.js';
import { serviceState, type InitSystem } from '../facts/services.js';

export interface ServiceSpec {
  name: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
}

type Action = 'start' | 'stop' | 'restart' | 'reload' | 'enable' | 'disable';

/** A service's run state and boot state; restarted/reloaded always act (they are handlers). */
export function service(spec: ServiceSpec): Operation {
  return {
    title: `service ${spec.name}${spec.state ? ` ${spec.state}` : ''}`,
    facts: () => [serviceState(spec.name)],
    async plan(host) {
      const state = await host.fact(serviceState(spec.name));
      if (!state.known) throw new MissingInput(`service ${spec.name}`);
      const actions: Action[] = [];
      if (spec.state === 'started' && !state.running) actions.push('start');
      if (spec.state === 'stopped' && state.running) actions.push('stop');
      if (spec.state === 'restarted') actions.push(state.running ? 'restart' : 'start');
      if (spec.state === 'reloaded') actions.push(state.running ? 'reload' : 'start');
      if (spec.enabled === true && !state.enabled) actions.push('enable');
      if (spec.enabled === false && state.enabled) actions.push('disable');
      return actions.map((action): Change =>
        change({ kind: 'service', summary: `${action} ${spec.name}`, apply: () => serviceAction(host, state.init, spec.name, action) }),
      );
    },
  };
}

export async function serviceAction(host: HostContext, init: InitSystem, name: string, action: Action): Promise<void> {
  const argv =
    init === 'systemd'
      ? ['systemctl', action, name]
      : action === 'enable'
        ? ['update-rc.d', name, 'defaults']
        : action === 'disable'
          ? ['update-rc.d', '-f', name, 'remove']
          : ['service', name, action];
  await host.run(`${action} ${name}`, { argv });
}
