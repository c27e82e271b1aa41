import type { HostContext } from '../core/context.js';
import type { Operation } from '../core/operation.js';
import * as ops from '../ops/index.js';
import { controllerAddress, controllers, isTier } from './topology.js';

/*
 * ZooKeeper from Debian's packages (zookeeperd: its init script, the config under
 * /etc/zookeeper/conf, which is an alternative pointing at conf_example): one server on the
 * controller, or an ensemble of the three controllers, each with its id in myid.
 */
export const ZOOKEEPER_CONF = '/etc/zookeeper/conf/zoo.cfg';
export const ZOOKEEPER_MYID = '/etc/zookeeper/conf/myid';

/** zoo.cfg's keys and this host's myid. */
export function zookeeperSettings(host: HostContext): { settings: Record<string, string>; myid: string } {
  const settings: Record<string, string> = {
    // the package's example keeps data under /tmp
    dataDir: '/var/lib/zookeeper',
    clientPort: '2181',
    // the four-letter words `check` asks (srvr: leader or follower; ruok: alive)
    '4lw.commands.whitelist': 'srvr,ruok',
  };
  // Debian's package links dataDir/myid to a placeholder sentence, which ZooKeeper refuses even alone
  if (!isTier(host.cluster)) return { settings: { ...settings, clientPortAddress: controllerAddress(host.cluster) }, myid: '1' };
  const members = controllers(host.cluster);
  members.forEach((c, i) => (settings[`server.${i + 1}`] = `${c.address}:2888:3888`));
  return { settings, myid: String(members.indexOf(host.host) + 1) };
}

/** The edits that make this controller's ZooKeeper: zoo.cfg's keys (key=value, comments kept) and myid. */
export function zookeeperConfig(host: HostContext, notify: string[]): Operation[] {
  const { settings, myid } = zookeeperSettings(host);
  return [
    ops.confKeys(ZOOKEEPER_CONF, settings, { style: { separator: '=', encode: (v) => (typeof v === 'string' ? v : v.join(',')) }, notify }),
    ops.file({ path: ZOOKEEPER_MYID, content: `${myid}\n`, mode: '0644', owner: 'root:root', notify }),
  ];
}
