import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Secret, mask } from '../../../src/core/secret.js';
import { vrrpPassword } from '../../../src/ops/keepalived.js';
import { renderTemplate } from '../../../src/ops/template.js';

const HOSTILE = `vrrp "quoted" 'single' #comment !bang back\\slash $HOME é中`;

describe('keepalived.conf', () => {
  it('VRRP’s password: 8 characters keepalived reads whole, made from any vrrp_password, the same on every controller, masked', () => {
    const a = vrrpPassword(new Secret(HOSTILE));
    assert.match(a, /^[A-Za-z0-9_-]{8}$/);
    assert.equal(vrrpPassword(new Secret(HOSTILE)), a);
    assert.notEqual(vrrpPassword(new Secret(`${HOSTILE}2`)), a);
    assert.ok(!mask(`auth_pass ${a}`).includes(a));
  });

  it('the rendered file: unicast to the peers, the VIP on the interface, a track script on nginx', () => {
    const text = renderTemplate('keepalived.conf.ejs', { name: 'c1', address: '10.0.3.7', peers: ['10.0.3.8', '10.0.3.9'], vip: '10.0.3.5', prefix: 24, iface: 'eth0', router_id: 42, priority: 150, password: 'abcdefgh' });
    assert.match(text, /unicast_src_ip 10\.0\.3\.7\n\s+unicast_peer \{\n\s+10\.0\.3\.8\n\s+10\.0\.3\.9\n\s+\}/);
    assert.match(text, /virtual_ipaddress \{\n\s+10\.0\.3\.5\/24 dev eth0\n/);
    assert.match(text, /auth_pass abcdefgh\n/);
    assert.match(text, /track_script \{\n\s+st2_nginx\n/);
    assert.match(text, /virtual_router_id 42\n/);
  });
});
