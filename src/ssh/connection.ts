import { existsSync } from 'node:fs';
import { NotReadWhole, readAtMost } from '../core/boundedRead.js';
import { homedir } from 'node:os';
import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import { lazy } from '../core/lazy.js';
import { UnreachableError } from '../core/errors.js';
import type { ClusterHost } from '../core/context.js';
import type { Secret } from '../core/secret.js';
import { KnownHosts, fingerprint } from './knownHosts.js';
import { commandLine, connectWithin, type ExecRequest, type ExecResult } from '../core/command.js';
import { within } from '../core/timeouts.js';
import { runOnChannel } from './channelRun.js';
import { sudoMarkers, sudoWithPassword, sudoWithoutPassword } from './sudo.js';
import { Semaphore } from '../core/limiter.js';
import { SshConfig, expandHome } from './sshConfig.js';

export const MAX_CHANNELS = 8;
/** More than any private key file holds (an RSA key of 16384 bits is ~12 KB). */
const KEY_FILE_LIMIT = 1024 * 1024;
/** How long sudo may take to let the user in, checked once a connection opens. */
const BECOME_ANSWER_MS = 15_000;

const ssh2 = lazy<typeof import('ssh2')>('ssh2');

export interface ConnectionSettings {
  /** the inventory name, for messages */
  name: string;
  host: string;
  port: number;
  user: string;
  keyFiles: string[];
  proxyJump: string | undefined;
  become: boolean;
  becomeUser: string;
  becomePassword: Secret | undefined;
}

export interface SshOptions {
  knownHosts: KnownHosts;
  acceptNewHostKeys: boolean;
  connectTimeoutMs: number;
  retries: number;
}

/** Connection settings from the host's settings, falling back to the OpenSSH client config, then its defaults. */
export async function connectionSettings(host: ClusterHost, sshConfig: SshConfig): Promise<ConnectionSettings> {
  const s = host.settings;
  const conf = await sshConfig.lookup(s.ansible_host ?? host.name, { ...(s.ansible_user ? { user: s.ansible_user } : {}), ...(s.ansible_port ? { port: s.ansible_port } : {}) });
  const configured = conf.identityFiles.filter((f) => existsSync(f));
  const defaults = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((k) => `${homedir()}/.ssh/${k}`).filter((f) => existsSync(f));
  return {
    name: host.name,
    host: conf.hostName ?? s.ansible_host ?? host.name,
    port: s.ansible_port ?? conf.port ?? 22,
    user: s.ansible_user ?? conf.user ?? process.env.USER ?? 'root',
    keyFiles: s.ansible_ssh_private_key_file ? [expandHome(s.ansible_ssh_private_key_file)] : configured.length ? configured : defaults,
    proxyJump: conf.proxyJump,
    become: s.ansible_become,
    becomeUser: s.ansible_become_user,
    becomePassword: s.ansible_become_password ?? s.ansible_become_pass,
  };
}

/**
 * One SSH connection to one host for the whole run. Commands are argument vectors,
 * quoted here and nowhere else; become wraps them in sudo.
 */
export class SshConnection {
  private client: Client | undefined;
  private jump: Client | undefined;
  private readonly channels = new Semaphore(MAX_CHANNELS);
  /** sudo's prompt and the command's start, told apart from anything a command prints */
  private readonly markers = sudoMarkers();

  private resolved: { settings: ConnectionSettings; options: SshOptions } | undefined;
  /** why the connection ended under a running run, once it has */
  private lost: string | undefined;

  /** `prepare` resolves where and how to connect (it may read the OpenSSH config) when connect() is first called. */
  constructor(readonly name: string, private readonly prepare: () => Promise<{ settings: ConnectionSettings; options: SshOptions }>) {}

  get settings(): ConnectionSettings {
    if (!this.resolved) throw new Error(`bug: ${this.name}: settings read before connect()`);
    return this.resolved.settings;
  }

  private get options(): SshOptions {
    if (!this.resolved) throw new Error(`bug: ${this.name}: options read before connect()`);
    return this.resolved.options;
  }

  async connect(): Promise<void> {
    this.resolved ??= await this.prepare();
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (attempt > 0) await sleep(250 * 2 ** attempt);
      try {
        this.client = await this.open();
        this.lost = undefined;
        const client = this.client;
        client.on('close', () => {
          if (this.client === client) this.lost ??= 'the connection closed';
        });
        client.on('error', (err: Error) => {
          this.lost = `the connection failed: ${err.message}`;
        });
        try {
          await this.verifyBecome();
        } catch (err) {
          this.close();
          throw err;
        }
        return;
      } catch (err) {
        lastError = err;
        if (err instanceof UnreachableError && !err.transient) break; // host keys, auth: retrying will not help
      }
    }
    throw lastError instanceof UnreachableError ? lastError : new UnreachableError(this.settings.name, String(lastError));
  }

  private async open(): Promise<Client> {
    const s = this.settings;
    let sock: ConnectConfig['sock'];
    if (s.proxyJump) {
      const jump = parseJump(s.proxyJump, s.user);
      const jumpSettings = { ...s, name: `${s.name} via ${jump.host}`, host: jump.host, port: jump.port, user: jump.user, proxyJump: undefined };
      this.jump = await dial(jumpSettings, this.options, undefined);
      sock = await new Promise((resolve, reject) =>
        this.jump!.forwardOut('127.0.0.1', 0, s.host, s.port, (err, stream) => (err ? reject(new UnreachableError(s.name, `ProxyJump ${s.proxyJump} cannot reach ${s.host}:${s.port}: ${err.message}`)) : resolve(stream))),
      );
    }
    return dial(s, this.options, sock);
  }

  /**
   * Become works before anything else runs: a wrong sudo password or a user sudo refuses is
   * said at once, for this host only, instead of a command (or the lock) waiting on sudo.
   */
  private async verifyBecome(): Promise<void> {
    const s = this.settings;
    if (!this.becomes({})) return;
    const result = await within(BECOME_ANSWER_MS, this.exec({ argv: ['true'] }), (): ExecResult => ({ code: null, stdout: '', stderr: `sudo did not answer within ${BECOME_ANSWER_MS / 1000} s` }));
    if (result.code === 0) return;
    const said = result.stderr.trim().split('\n').filter(Boolean).slice(-2).join('; ') || `exit ${result.code}`;
    const remedy = s.becomePassword ? 'check ansible_become_password' : 'set ansible_become_password, or allow the user passwordless sudo';
    throw new UnreachableError(s.name, `cannot become ${s.becomeUser} with sudo as ${s.user}: ${said}`, remedy);
  }

  /**
   * Runs a command and collects its output; a non-zero exit is a result, not an exception.
   * stdout beyond OUTPUT_LIMIT stops the command and fails it (OutputLimitError), unless the
   * request streams it to a sink.
   */
  exec(request: ExecRequest): Promise<ExecResult> {
    return this.channels.use(async () => {
      const { done } = this.start(request, true, await this.channel(request));
      return done;
    });
  }

  /** A new channel running the request's command (wrapped in sudo when it becomes). */
  private channel(request: ExecRequest): Promise<ClientChannel> {
    const client = this.connected();
    return new Promise((resolve, reject) => {
      if (this.lost) return reject(this.lostError());
      client.exec(commandLine(this.wrap(request)), (err, stream) => {
        if (err) return reject(this.lost ? this.lostError() : new UnreachableError(this.name, `cannot open a channel: ${err.message}`));
        resolve(stream);
      });
    });
  }

  /** The command's run on its channel: sudo's prompt answered first when it asks, then stdin fed. */
  private start(request: ExecRequest, endStdin: boolean, stream: ClientChannel): { done: Promise<ExecResult> } {
    const password = this.becomes(request) ? this.settings.becomePassword : undefined;
    const done = runOnChannel(stream, request, {
      endStdin,
      describe: () => describeCommand(request.argv),
      ...(password ? { sudo: { markers: this.markers, password } } : {}),
    }).then((r) => {
      if (r.code === null && this.lost) throw this.lostError();
      return r;
    });
    return { done };
  }

  private connected(): Client {
    if (!this.client) throw new Error(`bug: not connected to ${this.name}`);
    return this.client;
  }

  private lostError(): UnreachableError {
    return new UnreachableError(this.name, `lost the connection to ${this.settings.host}:${this.settings.port}: ${this.lost}`);
  }

  /**
   * Starts a command and keeps it running with stdin open until `release` is called or the
   * connection drops. Resolves once `ready` accepts one of its output lines, or when it ends.
   */
  async hold(
    request: ExecRequest,
    ready: (line: string) => boolean,
  ): Promise<{ acquired: boolean; release: () => void; done: Promise<ExecResult> }> {
    const stream = await this.channel(request);
    return new Promise((resolve, reject) => {
      let pending = '';
      let settled = false;
      stream.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        let nl: number;
        while (!settled && (nl = pending.indexOf('\n')) >= 0) {
          const text = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          if (ready(text)) {
            settled = true;
            resolve({ acquired: true, release: () => stream.end(), done });
          }
        }
        if (settled) pending = '';
      });
      const { done } = this.start(request, false, stream);
      done.then(() => {
        if (!settled) resolve({ acquired: false, release: () => undefined, done });
      }, reject);
    });
  }

  /**
   * A TCP connection made by the host itself (SSH direct-tcpip), for probes that speak a
   * protocol: the bytes, a password among them, stay inside the SSH connection.
   */
  withTcp<T>(host: string, port: number, use: (stream: ClientChannel) => Promise<T>): Promise<T> {
    const client = this.connected();
    return this.channels.use(async () => {
      if (this.lost) throw this.lostError();
      const stream = await connectWithin(host, port, new Promise<ClientChannel>((resolve, reject) =>
        client.forwardOut('127.0.0.1', 0, host, port, (err, s) => (err ? reject(err) : resolve(s))),
      ), (late) => late.destroy());
      try {
        return await use(stream);
      } finally {
        stream.destroy();
      }
    });
  }

  private becomes(request: Pick<ExecRequest, 'become'>): boolean {
    const s = this.settings;
    return (request.become ?? true) && s.become && s.user !== s.becomeUser;
  }

  /** The argument vector run on the host: the command with a fixed locale, through sudo when it becomes. */
  private wrap(request: ExecRequest): string[] {
    const s = this.settings;
    const argv = ['env', 'LC_ALL=C', ...request.argv];
    if (!this.becomes(request)) return argv;
    return s.becomePassword ? sudoWithPassword(this.markers, s.becomeUser, argv) : sudoWithoutPassword(s.becomeUser, argv);
  }

  close(): void {
    this.client?.end();
    this.jump?.end();
    this.client = undefined;
    this.jump = undefined;
  }
}

function dial(s: ConnectionSettings, options: SshOptions, sock: ConnectConfig['sock']): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new (ssh2().Client)();
    let hostKeyProblem: UnreachableError | undefined;
    const knownTypes = options.knownHosts.knownTypes(s.host, s.port);
    const config: ConnectConfig = {
      host: s.host,
      port: s.port,
      username: s.user,
      readyTimeout: options.connectTimeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      ...(sock ? { sock } : {}),
      ...(knownTypes.length ? { algorithms: { serverHostKey: hostKeyAlgorithms(knownTypes) as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] } } : {}),
      hostVerifier: (key: Buffer) => {
        const verdict = options.knownHosts.verify(s.host, s.port, key);
        if (verdict.status === 'known') return true;
        const where = `${s.host}:${s.port}`;
        if (verdict.status === 'unknown') {
          if (options.acceptNewHostKeys) {
            options.knownHosts.append(s.host, s.port, key);
            return true;
          }
          hostKeyProblem = new UnreachableError(s.name, `unknown host key for ${where}: ${verdict.keyType} ${verdict.fingerprint}`, `check the fingerprint, then run again with --accept-new-host-keys or add it to ${options.knownHosts.file}`);
        } else if (verdict.status === 'changed') {
          hostKeyProblem = new UnreachableError(s.name, `HOST KEY CHANGED for ${where}: now ${verdict.keyType} ${verdict.fingerprint}, ${options.knownHosts.file} line ${verdict.line} says otherwise`, 'this may be an attack; if the host was really reinstalled, remove the old entry (ssh-keygen -R) and verify the new key');
        } else {
          hostKeyProblem = new UnreachableError(s.name, `host key ${fingerprint(key)} for ${where} is marked @revoked in ${options.knownHosts.file} line ${verdict.line}`);
        }
        return false;
      },
      authHandler: authMethods(s),
    };
    let settled = false;
    client.once('ready', () => {
      settled = true;
      resolve(client);
    });
    // ssh2 may emit several errors for one failure (a port that speaks another protocol):
    // the first decides, the others are heard and dropped, never left unhandled
    client.on('error', (err: Error & { level?: string }) => {
      if (settled) return;
      settled = true;
      client.end();
      if (hostKeyProblem) return reject(hostKeyProblem);
      const where = `${s.user}@${s.host}:${s.port}`;
      if (err.level === 'client-authentication') {
        return reject(new UnreachableError(s.name, `authentication failed for ${where} (tried ${describeAuth(s)})`, 'set ansible_user / ansible_ssh_private_key_file or load the key into ssh-agent'));
      }
      const e = new UnreachableError(s.name, `cannot connect to ${where}: ${err.message}`);
      e.transient = true;
      reject(e);
    });
    client.on('close', () => {
      if (settled) return;
      settled = true;
      reject(hostKeyProblem ?? Object.assign(new UnreachableError(s.name, `cannot connect to ${s.user}@${s.host}:${s.port}: the server closed the connection during the SSH handshake`), { transient: true }));
    });
    try {
      client.connect(config);
      // the handshake and every command are small request/response exchanges: Nagle plus the
      // server's delayed ACKs would hold some of them ~40 ms (measured: 106 ms to 65 ms a login)
      client.setNoDelay(true);
    } catch (err) {
      reject(new UnreachableError(s.name, `cannot connect to ${s.host}:${s.port}: ${(err as Error).message}`));
    }
  });
}

type AuthMethod = { type: 'agent'; username: string; agent: string } | { type: 'publickey'; username: string; key: Buffer };

function authMethods(s: ConnectionSettings): AuthMethod[] {
  const methods: AuthMethod[] = [];
  if (process.env.SSH_AUTH_SOCK) methods.push({ type: 'agent', username: s.user, agent: process.env.SSH_AUTH_SOCK });
  for (const file of s.keyFiles) {
    if (existsSync(file)) methods.push({ type: 'publickey', username: s.user, key: keyFile(s.name, file) });
  }
  return methods;
}

/** A private key file, read whole up to a size no key reaches: a path to something else is said, not read on and on. */
function keyFile(host: string, file: string): Buffer {
  try {
    return readAtMost(file, KEY_FILE_LIMIT);
  } catch (err) {
    throw new UnreachableError(host, `cannot use the private key ${err instanceof NotReadWhole ? err.message : `${file}: ${(err as NodeJS.ErrnoException).code ?? err}`}`, 'give the path of a private key file (ansible_ssh_private_key_file, or IdentityFile)');
  }
}

function describeAuth(s: ConnectionSettings): string {
  const parts = [...(process.env.SSH_AUTH_SOCK ? ['ssh-agent'] : []), ...s.keyFiles.filter((f) => existsSync(f))];
  return parts.length ? parts.join(', ') : 'no key: none found';
}

function hostKeyAlgorithms(knownTypes: string[]): string[] {
  const algos: string[] = [];
  for (const t of knownTypes) {
    if (t === 'ssh-rsa') algos.push('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa');
    else algos.push(t);
  }
  return algos;
}

function parseJump(spec: string, defaultUser: string): { user: string; host: string; port: number } {
  const first = spec.split(',')[0]!; // one hop is supported
  // ssh -G writes an address in brackets: user@[10.0.0.1]:22
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(first);
  if (!m) throw new UnreachableError(spec, `cannot read ProxyJump "${spec}"`, 'write user@host:port');
  return { user: m[1] ?? defaultUser, host: m[2]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[3] ?? 22) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A command named in a message: its first words, never its whole script. */
function describeCommand(argv: readonly string[]): string {
  const shown = argv[0] === 'sh' && argv[1] === '-c' ? `a script (${argv[2]!.split('\n')[0]!.slice(0, 60)}…)` : argv.slice(0, 3).join(' ');
  return `running ${shown}`;
}
