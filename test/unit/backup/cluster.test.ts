import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS } from '../../../src/backup/contents.js';
import { materialProblems, parseListing } from '../../../src/backup/cluster.js';

/** A listing as find -printf '%y %m %u %g %s %p\0%l\0' prints it. */
const listing = (...lines: [string, string, string, string, number, string | Buffer, string?][]) =>
  Buffer.concat(lines.flatMap(([y, m, u, g, s, p, l = '']) => [Buffer.from(`${y} ${m} ${u} ${g} ${s} `), Buffer.from(p), Buffer.from([0]), Buffer.from(l), Buffer.from([0])]));

describe('the material listing read from a blueprint', () => {
  it('parses files, folders and links, names with spaces and any UTF-8', () => {
    const listed = parseListing(listing(
      ['d', '2775', 'root', 'st2packs', 4096, '/opt/stackstorm/configs'],
      ['f', '640', 'root', 'root', 12, '/opt/stackstorm/configs/we ird é.yaml'],
      ['l', '777', 'st2', 'st2', 9, '/opt/stackstorm/configs/aws.yaml', '../shared/aws.yaml'],
    ));
    assert.deepEqual(listed.map((l) => [l.type, l.mode, l.owner, l.group, l.size, l.path, l.target]), [
      ['d', '2775', 'root', 'st2packs', 4096, '/opt/stackstorm/configs', undefined],
      ['f', '0640', 'root', 'root', 12, '/opt/stackstorm/configs/we ird é.yaml', undefined],
      ['l', '0777', 'st2', 'st2', 9, '/opt/stackstorm/configs/aws.yaml', '../shared/aws.yaml'],
    ]);
    assert.deepEqual(materialProblems(listed, LIMITS.held), [], 'a link under the folders is kept');
    assert.throws(() => parseListing(Buffer.from('garbage')), /cut short/);
    assert.throws(() => parseListing(Buffer.from('f x\0\0')), /does not parse/);
  });

  it('never drops what it cannot keep: a pipe, a socket, a device, a bad name or mode, a dangling material link, each named with its remedy', () => {
    const listed = parseListing(listing(
      ['d', '755', 'root', 'root', 4096, '/opt/stackstorm/configs'],
      ['p', '644', 'root', 'root', 0, '/opt/stackstorm/configs/fifo'],
      ['s', '755', 'root', 'root', 0, '/opt/stackstorm/configs/sock'],
      ['c', '666', 'root', 'root', 0, '/opt/stackstorm/configs/null'],
      ['f', '640', 'root', 'root', 1, '/opt/stackstorm/configs/\x1b[31mred.yaml'],
      ['f', '640', 'root', 'root', 1, Buffer.from([0x2f, 0x6f, 0x70, 0x74, 0x2f, 0x73, 0x74, 0x61, 0x63, 0x6b, 0x73, 0x74, 0x6f, 0x72, 0x6d, 0x2f, 0x72, 0x62, 0x61, 0x63, 0x2f, 0xff, 0x2e, 0x79])],
      ['f', '4755', 'root', 'root', 1, '/opt/stackstorm/configs/suid.yaml'],
      ['f', '666', 'root', 'root', 1, '/opt/stackstorm/configs/open.yaml'],
      ['l', '777', 'root', 'root', 1, '/etc/st2/htpasswd', '/nowhere'],
      ['f', '640', 'root', 'root', LIMITS.materialFile + 1, '/opt/stackstorm/configs/huge.yaml'],
    ));
    const problems = materialProblems(listed, LIMITS.held);
    assert.deepEqual(problems, [
      '/opt/stackstorm/configs/fifo: a named pipe; a backup keeps files, folders and links: remove it, or move it out of /opt/stackstorm/configs',
      '/opt/stackstorm/configs/sock: a socket; a backup keeps files, folders and links: remove it, or move it out of /opt/stackstorm/configs',
      '/opt/stackstorm/configs/null: a character device; a backup keeps files, folders and links: remove it, or move it out of /opt/stackstorm/configs',
      '/opt/stackstorm/configs/\\x1b[31mred.yaml: its name holds control characters; rename it',
      '/opt/stackstorm/rbac/\\xff.y: its name is not UTF-8 text; rename it',
      '/opt/stackstorm/configs/suid.yaml: its mode 4755 is not one a backup holds (a file: permission bits only, nothing writable by others); chmod it (nothing writable by others, no setuid, no setgid or sticky bit on a file)',
      '/opt/stackstorm/configs/open.yaml: its mode 0666 is not one a backup holds (a file: permission bits only, nothing writable by others); chmod it (nothing writable by others, no setuid, no setgid or sticky bit on a file)',
      '/etc/st2/htpasswd: it is a link where a backup holds only a file or a folder (links are kept inside the pack configs and RBAC folders); make it a file, or point it at one',
      `/opt/stackstorm/configs/huge.yaml: ${LIMITS.materialFile + 1} bytes, more than a backup keeps of one file (${LIMITS.materialFile}); move it out`,
    ]);
    for (const p of problems) assert.doesNotMatch(p, /[\u0000-\u001f\u007f-\u009f]/);
  });

  it('refuses material heavier together than a backup keeps', () => {
    const listed = parseListing(listing(['d', '755', 'root', 'root', 4096, '/opt/stackstorm/configs'], ['f', '640', 'root', 'root', 1000, '/opt/stackstorm/configs/a.yaml'], ['f', '640', 'root', 'root', 1000, '/opt/stackstorm/configs/b.yaml']));
    assert.match(materialProblems(listed, 1500).join('\n'), /weigh 2000 bytes together, more than a backup keeps \(1500\)/);
  });
});
