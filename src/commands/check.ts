import { clusterRules, type NodeConfig } from '../check/clusterRules.js';
import { httpStatus, redisPing } from '../check/probes.js';
import { amqpLogin } from '../facts/amqp.js';
import type { Host } from '../inventory/inventory.js';
import { SecretStore } from '../secretStore.js';
import { mask, masked } from '../secrets.js';
import type { SshConnection } from '../ssh/connection.js';
import { connectionFactory, type ConnectOptions } from '../ssh/hostConnections.js';
import { shellScript } from '../ssh/quote.js';
import { addressOf } from '../stackstorm/topology.js';
import { st2Features } from '../stackstorm/versions.js';
import { colour, isInteractive, plain } from '../report/style.js';
import { selectHosts, type SelectionOptions } from './select.js';

export interface CheckResult {
  host: string;
  check: string;
  ok: boolean;
  detail: string;
}

const HTTP_COMPONENTS: [string, number][] = [['st2auth', 9100], ['st2api', 9101], ['st2stream', 9102]];
const READ_CONFIGS = 'cat /etc/st2/st2.conf; echo "@@st2ctl"; cat /etc/default/st2ctl 2>/dev/null; true';

/**
 * `st2prov check`: read-only health of a deployed cluster, seen from its own hosts. Each
 * blueprint's components answer; each blueprint reaches the controller's databases and
 * broker; the controller (the load balancer) reaches every blueprint over TLS; and the HA
 * rules hold across the blueprints' configs. Exit 0 only if everything holds.
 */
export async function checkCommand(options: SelectionOptions & ConnectOptions & { json: boolean }, io = { out: process.stdout, err: process.stderr }): Promise<number> {
  const { inventory, hosts } = selectHosts(options);
  const secrets = SecretStore.forInventory(inventory);
  const connect = connectionFactory(options);
  const results: CheckResult[] = [];
  const record = (host: string, check: string, ok: boolean, detail = '') => results.push({ host, check, ok, detail: mask(detail) });
  const controller = inventory.hosts.find((h) => h.role === 'controller');
  const blueprints = inventory.hosts.filter((h) => h.role === 'blueprint');
  const features = st2Features((blueprints[0] ?? controller)?.vars.st2_version);
  const ctrl = controller ? String(controller.vars.controller_address ?? addressOf(controller)) : undefined;
  const unreachable = new Set<string>();
  const configs: NodeConfig[] = [];

  const connections = new Map<string, SshConnection>();
  await Promise.all(hosts.map(async (h) => {
    const c = connect(h);
    try {
      await c.connect();
      connections.set(h.name, c);
    } catch (err) {
      unreachable.add(h.name);
      record(h.name, 'reachable over SSH', false, (err as Error).message);
    }
  }));

  await Promise.all(hosts.filter((h) => connections.has(h.name)).map(async (h) => {
    const c = connections.get(h.name)!;
    if (h.role === 'blueprint') {
      const read = await c.exec({ argv: shellScript(READ_CONFIGS) });
      const [st2conf, st2ctlDefaults] = read.stdout.split('@@st2ctl\n') as [string, string | undefined];
      const config = { name: h.name, st2conf, st2ctlDefaults: st2ctlDefaults ?? '' };
      configs.push(config);
      const componentsLine = /^COMPONENTS="?([^"\n]*)"?/m.exec(config.st2ctlDefaults)?.[1];
      const runs = (name: string) => componentsLine === undefined || componentsLine.split(/\s+/).includes(name);
      const http = [...HTTP_COMPONENTS.filter(([name]) => runs(name)), ...(features.mistral ? [['mistral-api', 8989] as [string, number]] : [])];
      for (const [name, port] of http) {
        try {
          const status = await c.withTcp('127.0.0.1', port, (s) => httpStatus(s, '/'));
          record(h.name, `${name} answers on 127.0.0.1:${port}`, /^HTTP\/1\.[01] \d{3}/.test(status), status);
        } catch (err) {
          record(h.name, `${name} answers on 127.0.0.1:${port}`, false, (err as Error).message);
        }
      }
      if (ctrl) await dependencies(h, ctrl);
    }
    if (h.role === 'controller') {
      for (const b of blueprints) {
        try {
          const status = await c.withTcp(addressOf(b), 443, (s) => httpStatus(s, '/api/v1/', true));
          const code = Number(status.split(' ')[1]);
          record(h.name, `load balancer reaches ${b.name} (https://${addressOf(b)}/api/)`, code > 0 && code < 500, status);
        } catch (err) {
          record(h.name, `load balancer reaches ${b.name} (https://${addressOf(b)}/api/)`, false, (err as Error).message);
        }
      }
    }
  }));

  async function dependencies(h: Host, ctrlAddress: string): Promise<void> {
    const c = connections.get(h.name)!;
    const open = async (port: number) => c.withTcp(ctrlAddress, port, async () => true).catch(() => false);
    if (features.mistral) record(h.name, `reaches PostgreSQL at ${ctrlAddress}:5432`, await open(5432));
    record(h.name, `reaches MongoDB at ${ctrlAddress}:27017`, await open(27017));
    const rabbitPassword = secrets.peek('rabbitmq_password');
    const user = String(h.vars.rabbitmq_user ?? 'st2');
    if (rabbitPassword) {
      const login = await amqpLogin(c, ctrlAddress, 5672, user, rabbitPassword.reveal());
      record(h.name, `logs in to RabbitMQ at ${ctrlAddress}:5672 as ${user}`, login === 'ok', login);
    } else record(h.name, `logs in to RabbitMQ at ${ctrlAddress}:5672`, false, 'rabbitmq_password is unknown: never applied?');
    if (String(h.vars.coordination_backend ?? 'redis') === 'redis') {
      const redisPassword = secrets.peek('redis_password');
      try {
        const answer = redisPassword ? await c.withTcp(ctrlAddress, 6379, (s) => redisPing(s, redisPassword.reveal())) : 'redis_password is unknown: never applied?';
        record(h.name, `reaches Redis at ${ctrlAddress}:6379 with its password`, answer === '+PONG', answer);
      } catch (err) {
        record(h.name, `reaches Redis at ${ctrlAddress}:6379 with its password`, false, (err as Error).message);
      }
    }
  }

  const allBlueprintsChecked = blueprints.every((b) => configs.some((c) => c.name === b.name));
  if (allBlueprintsChecked && blueprints.length) {
    const ordered = blueprints.map((b) => configs.find((c) => c.name === b.name)!);
    for (const r of clusterRules(ordered, features)) record('cluster', r.rule, r.ok, r.detail);
  } else if (blueprints.length) {
    record('cluster', 'HA rules across the blueprints', false, 'not every blueprint was checked (unreachable or left out by --limit/--role)');
  }
  for (const c of connections.values()) c.close();

  // by host in inventory order, the cluster rules last; checks of one host in the order made
  const order = (name: string) => (name === 'cluster' ? Infinity : inventory.hosts.findIndex((h) => h.name === name));
  results.sort((a, b) => order(a.host) - order(b.host));
  const failed = results.filter((r) => !r.ok);
  if (options.json) {
    io.out.write(`${JSON.stringify(masked({ ok: failed.length === 0, results }), null, 2)}\n`);
  } else {
    const paint = isInteractive(io.out) ? colour : plain;
    const width = Math.max(...results.map((r) => r.host.length));
    for (const r of results) io.out.write(`${r.ok ? paint.green('ok  ') : paint.red('FAIL')} ${r.host.padEnd(width)}  ${r.check}${r.detail && (!r.ok || /partition|timers|collector|schedul/.test(r.check)) ? ` — ${r.detail}` : ''}\n`);
    io.out.write(`\n${results.length - failed.length}/${results.length} checks hold${failed.length ? `; ${failed.length} fail` : ''}\n`);
  }
  return (unreachable.size ? 4 : 0) | (failed.some((r) => !unreachable.has(r.host)) ? 2 : 0);
}
