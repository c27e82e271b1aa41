import type { TcpOpener } from '../core/command.js';

/** Whether a host can open a TCP connection to address:port. */
export function tcpOpen(from: TcpOpener, address: string, port: number): Promise<boolean> {
  return from.withTcp(address, port, async () => true).catch(() => false);
}
