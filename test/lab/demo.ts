import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labUp } from './lab.js';

/**
 * `npm run demo`: a lab of 1 controller + 2 blueprints, StackStorm deployed on it in the
 * guide's layout (2.x, with Mistral), checked, and where to look. The lab stays up.
 */
const bin = fileURLToPath(new URL('../../../bin/st2prov.js', import.meta.url));
const lab = await labUp(2);
const packs = join(dirname(lab.inventory), 'packs', 'hello_st2', 'actions');
mkdirSync(packs, { recursive: true });
writeFileSync(join(packs, '..', 'pack.yaml'), 'name: hello_st2\ndescription: A pack synced by st2prov to every blueprint.\nversion: 1.0.0\n');
writeFileSync(join(packs, 'hello.yaml'), 'name: hello\nrunner_type: local-shell-cmd\nentry_point: ""\nparameters:\n  cmd:\n    default: echo hello from $(hostname)\n');

const st2prov = (...args: string[]) => spawnSync(process.execPath, [bin, ...args, '-e', 'st2_version=2.10.4'], { stdio: 'inherit' }).status ?? 1;
console.log(`\n$ st2prov apply ${lab.inventory}`);
const applied = st2prov('apply', lab.inventory);
console.log(`\n$ st2prov check ${lab.inventory}`);
const checked = applied === 0 ? st2prov('check', lab.inventory) : 1;

// every host as systemd sees it: the boot finished and nothing failed
let healthy = true;
if (lab.init === 'systemd') {
  console.log('\n$ systemctl is-system-running; systemctl --failed   (on every host)');
  for (const h of lab.hosts) {
    const r = spawnSync('ssh', ['-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${lab.knownHosts}`, '-i', lab.clientKey, `root@${h.address}`,
      'systemctl is-system-running; systemctl --failed --no-legend --plain'], { encoding: 'utf8' });
    const [state, ...failed] = r.stdout.trim().split('\n');
    healthy &&= state === 'running' && failed.length === 0;
    console.log(`${h.name}: ${state || r.stderr.trim()}${failed.length ? `; failed: ${failed.join('; ')}` : ', no failed units'}`);
  }
}
const controller = lab.hosts[0]!.address;
console.log(`
The lab is up: ${lab.hosts.map((h) => `${h.name} (${h.address})`).join(', ')}, booted with ${lab.init}.
  inventory     ${lab.inventory}
  web UI        curl -k https://${controller}/
  API via LB    curl -k https://${controller}/api/v1/actions   (each request names the blueprint that served it)
  dry run       node bin/st2prov.js diff ${lab.inventory} -e st2_version=2.10.4   (nothing to do now)
  a shell       ssh -i ${lab.clientKey} -o UserKnownHostsFile=${lab.knownHosts} root@${controller}
  services      systemctl list-units 'st2*' and journalctl -u st2api on a blueprint
  tear down     npm run lab:down
`);
process.exitCode = applied || checked || (healthy ? 0 : 1);
