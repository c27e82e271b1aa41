import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/*
 * PostgreSQL password verifiers, computed on the control machine: the server receives
 * only the verifier, so the plain password never reaches its logs, and a stored verifier
 * can be checked against the wanted password without asking the server.
 */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

export function md5Verifier(password: string, role: string): string {
  return `md5${createHash('md5').update(password + role).digest('hex')}`;
}

/** Does a stored verifier belong to this password? */
export function verifierMatches(stored: string | null, password: string, role: string): boolean {
  if (!stored) return false;
  const scram = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(stored);
  if (scram) return scramVerifier(password, Buffer.from(scram[2]!, 'base64'), Number(scram[1])) === stored;
  if (stored.startsWith('md5')) return md5Verifier(password, role) === stored;
  return stored === password;
}
