/**
 * The change model: what an operation found it must do on a host, as plain data.
 * `diff` prints these, `apply` runs their actions, JSON and the live view read the same.
 */
export interface Change {
  /** operation kind: apt, file, conf, ini, pg_hba, service, command, postgres, sync, ... */
  kind: string;
  /** one line: what changes and, where it helps, why */
  summary: string;
  /** unified diff for file content; absent for non-file changes */
  diff?: string;
  /** handlers to run later when this change is applied */
  notify: string[];
  /**
   * It interrupts what the host serves (a stop, a restart, a package upgrade): in a play that
   * drains its hosts (Play.drain), a host that serves is taken out of service before it.
   */
  disrupts?: boolean;
  /** services it starts from stopped: a handler notified before it need not restart them (PlanScope) */
  starts?: readonly string[];
  /** the remote action; not part of the data */
  readonly apply: () => Promise<void>;
}

export function change(fields: Omit<Change, 'notify'> & { notify?: string[] }): Change {
  const c = { ...fields, notify: fields.notify ?? [] };
  Object.defineProperty(c, 'apply', { value: fields.apply, enumerable: false });
  return c;
}
