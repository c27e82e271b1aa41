/**
 * The lab's fixed facts: one subnet that exists only inside namespaces the lab creates,
 * the names of its hosts (the guide's), and where it keeps its cached base and repository.
 */
export const SUBNET_PREFIX = '10.213.0';
export const PREFIX_LENGTH = 24;
export const BRIDGE = 'st2lab0';
export const BRIDGE_ADDRESS = `${SUBNET_PREFIX}.1`;
export const REPO_PORT = 8780;
export const REPO_URL = `http://${BRIDGE_ADDRESS}:${REPO_PORT}`;
export const NETNS_PREFIX = 'st2lab-';
export const ADMIN_USER = 'labadmin';

export const labDir = process.env.ST2PROV_LAB_DIR ?? '/var/tmp/st2prov-lab';
export const runDir = `${labDir}/run`;
export const stateFile = `${runDir}/state.json`;

export interface LabHostSpec {
  name: string;
  role: 'controller' | 'blueprint';
  address: string;
  /** network namespace and the host side of its veth */
  netns: string;
  veth: string;
}

export function hostSpecs(blueprints: number): LabHostSpec[] {
  const specs: LabHostSpec[] = [{ name: 'st2-multi-node-cntl', role: 'controller', address: `${SUBNET_PREFIX}.10`, netns: `${NETNS_PREFIX}cntl`, veth: 'st2lab-v0' }];
  for (let i = 1; i <= blueprints; i++) {
    specs.push({ name: `st2-multi-node-${i}`, role: 'blueprint', address: `${SUBNET_PREFIX}.${10 + i}`, netns: `${NETNS_PREFIX}${i}`, veth: `st2lab-v${i}` });
  }
  return specs;
}
