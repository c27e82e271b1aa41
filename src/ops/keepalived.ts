import { createHmac } from 'node:crypto';
import { PlaybookError } from '../core/errors.js';
import type { Operation } from '../core/operation.js';
import { remember, type Secret } from '../core/secret.js';
import { fileState } from '../facts/files.js';
import { ipv4Addresses } from '../facts/network.js';
import { file } from './file.js';
import { renderTemplate } from './template.js';

export interface KeepalivedSpec {
  /** this controller's name and address */
  name: string;
  address: string;
  /** the other controllers' addresses */
  peers: readonly string[];
  vip: string;
  /** the interface the virtual address goes on: given, else the one that holds `address` */
  iface: string | undefined;
  routerId: number | Secret;
  priority: number;
  password: Secret;
  notify: string[];
}

/**
 * What keepalived.conf holds for VRRP's simple password: 8 characters (all VRRP carries) made
 * from vrrp_password, so any value, whatever it holds (spaces, quotes, '#' and '!' that start a
 * comment for keepalived's parser), gives a word keepalived reads back whole, the same on every
 * controller.
 */
export function vrrpPassword(secret: Secret): string {
  const password = createHmac('sha256', secret.reveal()).update('st2prov vrrp').digest('base64url').slice(0, 8);
  remember(password);
  return password;
}

/** An interface name as the kernel allows it (at most 15 characters, no space or slash). */
const INTERFACE = /^[A-Za-z0-9_.:@-]{1,15}$/;

function inSubnet(address: string, network: string, prefix: number): boolean {
  const n = (a: string) => a.split('.').reduce((v, octet) => v * 256 + Number(octet), 0);
  const size = 2 ** (32 - prefix);
  return Math.floor(n(address) / size) === Math.floor(n(network) / size);
}

/**
 * keepalived.conf for the load balancer's virtual address, on the interface (and with the
 * prefix length) that carries the controller's own address, read from the host; checked by
 * keepalived itself before it goes live.
 */
export function keepalivedConfig(spec: KeepalivedSpec): Operation {
  const path = '/etc/keepalived/keepalived.conf';
  return {
    title: `keepalived for ${spec.vip}`,
    facts: () => [ipv4Addresses(), fileState(path)],
    async plan(host) {
      if (spec.iface !== undefined && !INTERFACE.test(spec.iface)) throw new PlaybookError(`lb_vip_interface "${spec.iface}" is not an interface name`, 'give the name `ip -o addr` shows on the controllers, e.g. eth0');
      const own = (await host.fact(ipv4Addresses())).find((a) => a.address === spec.address);
      if (!own) throw new PlaybookError(`${spec.name} has no interface with its address ${spec.address}`, 'set lb_vip_interface, or ansible_host to the address the controllers reach each other at');
      if (!inSubnet(spec.vip, spec.address, own.prefix)) throw new PlaybookError(`lb_vip ${spec.vip} is not in ${spec.name}'s network ${spec.address}/${own.prefix}`, 'use a free address of the controllers’ own network: VRRP moves it between them there');
      const password = vrrpPassword(spec.password);
      const content = renderTemplate('keepalived.conf.ejs', {
        // keepalived's parser ends a word at a space and a line at '#' or '!'
        name: spec.name.replace(/[^A-Za-z0-9_.-]/g, '_'), address: spec.address, peers: spec.peers, vip: spec.vip, prefix: own.prefix, iface: spec.iface ?? own.interface,
        router_id: spec.routerId, priority: spec.priority, password,
      });
      return file({ path, content, mode: '0640', owner: 'root:root', validate: ['keepalived', '--config-test', '--use-file', '%s'], notify: spec.notify }).plan(host);
    },
  };
}
