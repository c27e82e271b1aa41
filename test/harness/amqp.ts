import { amqpLogin, type AmqpLogin } from '../../src/probes/amqp.js';
import { SshConnection } from '../../src/ssh/connection.js';
import { KnownHosts } from '../../src/ssh/knownHosts.js';
import type { Lab } from '../lab/lab.js';

/** Logs in to RabbitMQ from one lab host to an address, over AMQP, as a blueprint would. */
export async function amqpLoginFrom(lab: Lab, fromAddress: string, to: string, user: string, password: string): Promise<AmqpLogin> {
  const connection = new SshConnection('probe', async () => ({
    settings: { name: 'probe', host: fromAddress, port: 22, user: 'root', keyFiles: [lab.clientKey], proxyJump: undefined, become: false, becomeUser: 'root', becomePassword: undefined },
    options: { knownHosts: new KnownHosts(lab.knownHosts), acceptNewHostKeys: false, connectTimeoutMs: 5000, retries: 0 },
  }));
  await connection.connect();
  try {
    return await amqpLogin(connection, to, 5672, user, password);
  } finally {
    connection.close();
  }
}
