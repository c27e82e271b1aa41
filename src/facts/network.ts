import { strictFact, type Fact } from '../core/fact.js';

export interface Ipv4Address {
  interface: string;
  address: string;
  prefix: number;
}

/** Every IPv4 address of the host and the interface that holds it. */
export function ipv4Addresses(): Fact<Ipv4Address[]> {
  return strictFact('ipv4-addresses', ['ip', '-o', '-4', 'addr', 'show'], (out) =>
    out.split('\n').flatMap((line) => {
      const m = /^\d+:\s+([^\s:@]+)\S*\s+inet\s+([\d.]+)\/(\d+)/.exec(line);
      return m ? [{ interface: m[1]!, address: m[2]!, prefix: Number(m[3]) }] : [];
    }));
}
