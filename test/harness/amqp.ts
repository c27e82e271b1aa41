import { amqpLogin, type AmqpLogin } from '../../src/facts/amqp.js';
import { SshConnection, connectionSettings } from '../../src/ssh/connection.js';
import { KnownHosts } from '../../src/ssh/knownHosts.js';
import { SshConfig } from '../../src/ssh/sshConfig.js';
import type { Lab } from '../lab/lab.js';

/** Logs in to RabbitMQ from one lab host to an address, over AMQP, as a blueprint would. */
export async function amqpLoginFrom(lab: Lab, fromAddress: string, to: string, user: string, password: string): Promise<AmqpLogin> {
  const connection = new SshConnection(
    connectionSettings('probe', { ansible_host: fromAddress, ansible_user: 'root', ansible_ssh_private_key_file: lab.clientKey }, new SshConfig('')),
    { knownHosts: new KnownHosts(lab.knownHosts), acceptNewHostKeys: false, connectTimeoutMs: 5000, retries: 0 },
  );
  await connection.connect();
  try {
    return await amqpLogin(connection, to, 5672, user, password);
  } finally {
    connection.close();
  }
}
