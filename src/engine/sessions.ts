import type { ClusterHost } from '../core/context.js';
import { Semaphore } from '../core/limiter.js';
import type { Transport } from './engineHost.js';
import { timed } from '../core/timings.js';
import { lockHost, type HostLock, type LockKind } from './hostLock.js';

export interface SessionOptions {
  /** connections opened at once, like the work itself (--forks) */
  forks: number;
  connect(host: ClusterHost): Transport;
  lock: LockKind;
  lockWaitSeconds: number;
  onLockWait(host: string): void;
}

interface Session {
  connection: Transport;
  lock: HostLock | undefined;
}

/**
 * One SSH connection and one host lock per host for the whole run, opened on first use
 * and shared by every play; closed together at the end.
 */
export class Sessions {
  private readonly open = new Map<string, Promise<Session>>();
  private readonly opening: Semaphore;

  constructor(private readonly options: SessionOptions) {
    this.opening = new Semaphore(Math.max(1, options.forks));
  }

  /** Starts connecting to these hosts now, so later plays find them ready. */
  warm(hosts: readonly ClusterHost[]): void {
    for (const h of hosts) this.session(h).catch(() => undefined);
  }

  async connection(host: ClusterHost): Promise<Transport> {
    return (await this.session(host)).connection;
  }

  private session(host: ClusterHost): Promise<Session> {
    let s = this.open.get(host.name);
    if (!s) {
      s = this.opening.use(async () => {
        const connection = this.options.connect(host);
        await timed(host.name, 'connect', () => connection.connect());
        try {
          const kind = this.options.lock;
          const lock = kind === 'none' ? undefined : await timed(host.name, 'lock', () => lockHost(connection, kind, this.options.lockWaitSeconds, () => this.options.onLockWait(host.name)));
          return { connection, lock };
        } catch (err) {
          connection.close();
          throw err;
        }
      });
      this.open.set(host.name, s);
    }
    return s;
  }

  async closeAll(): Promise<void> {
    for (const s of this.open.values()) {
      await s.then(
        (x) => {
          x.lock?.release();
          x.connection.close();
        },
        () => undefined,
      );
    }
  }
}
