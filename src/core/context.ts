import type { Settings, VariableName } from '../inventory/variables.js';
import type { ExecRequest, ExecResult, TcpOpener } from './command.js';
import type { Fact } from './fact.js';
import type { Secret } from './secret.js';

export type Role = 'controller' | 'blueprint';

/** A host of the inventory as playbooks see it: its role, its address and its typed settings. */
export interface ClusterHost {
  readonly name: string;
  readonly role: Role | undefined;
  /** groups it belongs to, directly or through children, `all` first */
  readonly groups: readonly string[];
  /** where other hosts reach it: ansible_host, else its name */
  readonly address: string;
  readonly settings: Settings;
  /** the raw inventory variables, for playbooks of your own; st2prov's playbooks read `settings` */
  readonly vars: Readonly<Record<string, unknown>>;
  /** where each variable was set: "file:line" or "-e" */
  readonly origins: Readonly<Record<string, string>>;
}

/** The whole cluster, the same for every host of a run. */
export interface ClusterView {
  /** every host of the inventory in this group (a role), in inventory order, selected or not */
  members(group: string): readonly ClusterHost[];
  /** names of the hosts this run works on (after --limit and --role) */
  readonly selected: readonly string[];
  /** the cluster-wide settings */
  readonly settings: Settings;
}

/**
 * Files made once for the whole cluster on the control machine (key pairs, certificates):
 * file name → content; a private part is a Secret. Before apply has made them, a dry run
 * sees every part as a Secret, so no diff shows bytes apply would not write.
 */
export type Material = Readonly<Record<string, string | Secret>>;

/**
 * Everything an operation or a check may use on one host: its settings, remote commands,
 * facts (read once, forgotten after a change), secrets and a view of the whole cluster.
 * Operations get it as an argument; the engine implements it.
 */
export interface HostContext extends TcpOpener {
  readonly name: string;
  readonly host: ClusterHost;
  readonly settings: Settings;
  readonly cluster: ClusterView;
  exec(request: ExecRequest): Promise<ExecResult>;
  /** Runs a command that must succeed; a failure is an error that says what it was for. */
  run(purpose: string, request: ExecRequest): Promise<ExecResult>;
  fact<T>(f: Fact<T>): Promise<T>;
  /** Reads every fact not yet known in one round trip. */
  prefetch(facts: readonly Fact<unknown>[]): Promise<void>;
  /** A cluster secret: given in the inventory, kept in the state folder, or generated. */
  secret(name: VariableName | (string & {})): Secret;
  /** Cluster material (key pairs, certificates): kept in the state folder, made once. */
  material(spec: MaterialSpec): Material;
  /** The store behind secret() and material(), for the step that makes them. */
  readonly vault: Vault;
  /**
   * Another host of the cluster, for an operation this host's step does there (take this
   * blueprint out of the load balancer on every controller): its own connection, lock and facts.
   */
  on(host: ClusterHost): Promise<HostContext>;
  /** What was read of this host is stale: a change was made on it (by another host's step too). */
  forget(): void;
}

/** Where cluster secrets and material are kept (the state folder beside the inventory). */
export interface Vault {
  secret(name: string): Secret;
  material(spec: MaterialSpec): Material;
  /** which of these secrets are neither given nor kept yet */
  missing(names: readonly string[]): string[];
  hasMaterial(spec: MaterialSpec): boolean;
  /** makes and keeps the material not made yet (apply only), several at once */
  makeMaterial(specs: readonly MaterialSpec[]): Promise<void>;
  /** makes and keeps every missing secret (apply only): name → how to make it */
  generate(makers: Readonly<Record<string, () => string>>): void;
}

/** How one piece of cluster material is made: its files, written into a fresh private folder. */
export interface MaterialSpec {
  name: string;
  files: readonly string[];
  /** files that are not secret (a certificate, a public key) */
  publicFiles?: readonly string[];
  /** `made` gives other material this is made from (a certificate from its CA), made first if need be */
  make(dir: string, made: (spec: MaterialSpec) => Promise<Material>): Promise<void>;
}
