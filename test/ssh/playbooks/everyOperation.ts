import { fileURLToPath } from 'node:url';
import type { Play } from '../../../src/core/operation.js';
import * as ops from '../../../src/ops/index.js';

/** Every operation once, on files under test_dir: the SSH suite's apply → ok → diff round. */
const templatesDir = fileURLToPath(new URL('../../../../test/fixtures/templates', import.meta.url));

export const plays: Play[] = [
  {
    name: 'every operation',
    hosts: 'all',
    steps: [
      { name: 'folder', run: (h) => ops.directory(`${h.host.vars.test_dir}/etc`, { mode: '0750' }) },
      { name: 'plain file', run: (h) => ops.file({ path: `${h.host.vars.test_dir}/etc/plain.txt`, content: `hello ${h.name}\n`, mode: '0640', owner: 'root:root' }) },
      { name: 'link', run: (h) => ops.link(`${h.host.vars.test_dir}/etc/plain.link`, 'plain.txt', { owner: 'root:root' }) },
      {
        name: 'template',
        run: (h) =>
          ops.template(`${templatesDir}/app.conf.ejs`, { host: h.name, password: h.secret('app_password'), db_host: '10.0.3.10', motd: h.host.vars.motd }, {
            path: `${h.host.vars.test_dir}/etc/app.conf`,
            mode: '0600',
            notify: ['record restart'],
          }),
      },
      { name: 'seed configs', run: (h) => ops.command({ summary: 'copy postgresql.conf, pg_hba.conf and mistral.conf to edit', argv: ['sh', '-c', 'cp "$1" "$4/etc/pg.conf" && cp "$2" "$4/etc/pg_hba.conf" && cp "$3" "$4/etc/mistral.conf"', 'sh', String(h.host.vars.pg_conf), String(h.host.vars.pg_hba), String(h.host.vars.mistral_conf), String(h.host.vars.test_dir)], creates: `${h.host.vars.test_dir}/etc/mistral.conf` }) },
      { name: 'conf key', run: (h) => ops.confKey(`${h.host.vars.test_dir}/etc/pg.conf`, 'listen_addresses', "'127.0.0.1'", { notify: ['record restart'] }) },
      { name: 'ini keys', run: (h) => [
        ops.iniKey(`${h.host.vars.test_dir}/etc/mistral.conf`, 'database', 'max_pool_size', '5'),
        ops.iniKey(`${h.host.vars.test_dir}/etc/mistral.conf`, 'DEFAULT', 'transport_url', String(h.host.vars.tricky_value)),
      ] },
      { name: 'pg_hba rule', run: (h) => ops.pgHbaRule(`${h.host.vars.test_dir}/etc/pg_hba.conf`, { type: 'host', database: 'all', user: 'all', address: '10.0.3.0/24', method: 'scram-sha-256' }) },
      { name: 'packs', run: (h) => ops.dirSync({ source: String(h.host.vars.packs_src), dest: `${h.host.vars.test_dir}/packs`, delete: true, notify: ['record restart'] }) },
      { name: 'apt packages', tags: ['apt'], run: () => ops.packages(['hello']) },
      { name: 'postgresql running', tags: ['postgres'], run: () => ops.service({ name: 'postgresql', state: 'started' }) },
      { name: 'postgresql role and database', tags: ['postgres'], run: (h) => [
        ops.postgresRole(String(h.host.vars.pg_role), h.secret('pg_role_password')),
        ops.postgresDatabase(String(h.host.vars.pg_role), String(h.host.vars.pg_role)),
      ] },
    ],
    handlers: {
      'record restart': (h) => ops.command({ summary: 'record a restart', argv: ['sh', '-c', 'echo restarted >> "$1"', 'sh', `${h.host.vars.test_dir}/restarts.log`] }),
    },
  },
];
