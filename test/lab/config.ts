/**
 * The lab's fixed facts: one subnet that exists only inside namespaces the lab creates,
 * the names of its hosts (the guide's), and where it keeps its cached base and repository.
 *
 * Several labs can run side by side on one machine (two branches tested at once): slot N
 * (ST2PROV_LAB_SLOT, 0 to 3, default 0) owns 10.213.0.(64·N)/26, the bridge st2labN and its
 * own namespace and link names. Every slot stays inside the project's 10.213.0.0/24.
 */
export const SLOT = labSlot(process.env.ST2PROV_LAB_SLOT);
const FIRST = 64 * SLOT;
export const SUBNET = `10.213.0.${FIRST}`;
export const PREFIX_LENGTH = 26;
export const BRIDGE = `st2lab${SLOT}`;
export const BRIDGE_ADDRESS = address(1);
export const REPO_PORT = 8780;
export const REPO_URL = `http://${BRIDGE_ADDRESS}:${REPO_PORT}`;
export const NETNS_PREFIX = SLOT === 0 ? 'st2lab-' : `st2lab${SLOT}-`;
export const VETH_PREFIX = `${NETNS_PREFIX}v`;
export const ADMIN_USER = 'labadmin';
/** hosts take .10 upwards in their slot: one controller and at most this many blueprints (three controllers take .8 to .10) */
export const MAX_BLUEPRINTS = 52;
/** the controller tiers the lab builds: the guide's one box, or the HA tier of three */
export const CONTROLLER_COUNTS = [1, 3] as const;
/** the load balancer's virtual address (lb_vip) of a three-controller lab: keepalived moves it between them */
export const LB_VIP = address(5);

export const labDir = process.env.ST2PROV_LAB_DIR ?? '/var/tmp/st2prov-lab';
/**
 * What PID 1 of a lab host is: real systemd booted by systemd-nspawn (the default: every host
 * our users have boots systemd), or tini starting sshd with sysvinit scripts beside it
 * (ST2PROV_LAB_INIT=sysvinit, or `init` given to labUp), kept for the one path that still needs it.
 */
export type LabInit = 'systemd' | 'sysvinit';
export const DEFAULT_INIT = labInit(process.env.ST2PROV_LAB_INIT);
/** the cgroup (under the systemd and unified hierarchies) that holds this slot's systemd hosts */
export const CGROUP_PARENT = `st2lab${SLOT}`;
export const runDir = SLOT === 0 ? `${labDir}/run` : `${labDir}/run-${SLOT}`;
export const stateFile = `${runDir}/state.json`;

export interface LabHostSpec {
  name: string;
  role: 'controller' | 'blueprint';
  address: string;
  /** network namespace and the host side of its veth; the namespace's name is unique on the machine, so it also names the nspawn machine */
  netns: string;
  veth: string;
}

/** The lab address `offset` places into this slot's subnet. */
export function address(offset: number): string {
  if (offset < 1 || offset > 62) throw new Error(`lab address offset ${offset} is outside the slot's /26`);
  return `10.213.0.${FIRST + offset}`;
}

/**
 * The lab's hosts: one controller (the guide's st2-multi-node-cntl at .10) or three
 * (st2-multi-node-cntl-1 to -3 at .8 to .10), then the blueprints from .11.
 */
export function hostSpecs(blueprints: number, controllers: number = 1): LabHostSpec[] {
  if (blueprints > MAX_BLUEPRINTS) throw new Error(`a lab slot holds at most ${MAX_BLUEPRINTS} blueprints`);
  if (!(CONTROLLER_COUNTS as readonly number[]).includes(controllers)) throw new Error(`a lab has ${CONTROLLER_COUNTS.join(' or ')} controllers, not ${controllers}`);
  const specs: LabHostSpec[] = controllers === 1
    ? [{ name: 'st2-multi-node-cntl', role: 'controller', address: address(10), netns: `${NETNS_PREFIX}cntl`, veth: `${VETH_PREFIX}0` }]
    : Array.from({ length: controllers }, (_, i): LabHostSpec => ({ name: `st2-multi-node-cntl-${i + 1}`, role: 'controller', address: address(11 - controllers + i), netns: `${NETNS_PREFIX}cntl${i + 1}`, veth: `${VETH_PREFIX}c${i + 1}` }));
  for (let i = 1; i <= blueprints; i++) {
    specs.push({ name: `st2-multi-node-${i}`, role: 'blueprint', address: address(10 + i), netns: `${NETNS_PREFIX}${i}`, veth: `${VETH_PREFIX}${i}` });
  }
  return specs;
}

function labSlot(text: string | undefined): number {
  if (text === undefined || text === '') return 0;
  const slot = Number(text);
  if (!Number.isInteger(slot) || slot < 0 || slot > 3) throw new Error(`ST2PROV_LAB_SLOT="${text}" must be 0, 1, 2 or 3`);
  return slot;
}

function labInit(text: string | undefined): LabInit {
  if (text === undefined || text === '' || text === 'systemd') return 'systemd';
  if (text === 'sysvinit') return 'sysvinit';
  throw new Error(`ST2PROV_LAB_INIT="${text}" must be systemd or sysvinit`);
}
