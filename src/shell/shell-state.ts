import type { ClusterState, KeyValueStore, LastRun, RegisteredCommand, ScopeProvider } from '../plugins/api.js';
import type { ClusterProvider } from '../clusters/provider.js';
import type { DustConfig } from '../config/schema.js';
import type { DustNode } from '../inventory/node.js';
import type { Inventory } from '../inventory/inventory.js';
import type { CommandRegistry } from '../plugins/registry.js';
import { fileTermsOf, parseTarget, resolveTarget, type HostList } from '../targets/index.js';
import { readHostList } from '../inventory/host-files.js';
import { JsonFileStore } from '../state/json-store.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { LAST_RESULT_KEYS, LastResults } from './last-results.js';

/**
 * What every client of one engine shares: the inventory, the region and its cloud, annotations, plugin stores.
 * One per engine (src/shell/app.ts); each client's ShellState reads and changes it.
 */
export class EngineState {
  /** The scopes integrations registered (EC2's regions); set by the engine. */
  scopes: () => readonly ScopeProvider[] = () => [];
  /** The cluster providers integrations registered; set by the engine. */
  clusterProviders: () => readonly ClusterProvider[] = () => [];
  readonly stores = new Map<string, KeyValueStore>();
  readonly annotationStore: JsonFileStore;
  /** What a node's session is doing now (`session=` in targets); set once the session layer exists. */
  sessionState: ((node: DustNode) => string) | undefined;
  /** Told when the region changed (every client's prompt shows it). */
  readonly regionListeners = new Set<() => void>();

  constructor(
    readonly dustHome: string,
    readonly version: string,
    readonly dustConfig: DustConfig,
    readonly configFile: string | undefined,
    readonly inventory: Inventory,
    readonly registry: CommandRegistry,
  ) {
    this.annotationStore = JsonFileStore.forNamespace(dustHome, 'annotations');
    inventory.setAnnotationSource(() => this.annotationStore.all() as Record<string, Record<string, string> | undefined>);
  }
}

/**
 * The cluster state a command receives (ClusterState), as one client sees it: its own working set (`use`) and
 * its own last results (`last=`), over the engine's shared inventory, region, annotations and stores.
 */
export class ShellState implements ClusterState {
  workingCluster: string | undefined;
  /** Listeners told when this client's prompt context (region or working set) changes. */
  onContextChange: (() => void) | undefined;

  constructor(readonly engine: EngineState) {
    engine.regionListeners.add(() => this.onContextChange?.());
  }

  /** The first registered scope and its current name (EC2: the region). */
  get scope(): { kind: string; name: string } | undefined {
    for (const sc of this.engine.scopes()) {
      const name = sc.current();
      if (name !== undefined) return { kind: sc.kind, name };
    }
    return undefined;
  }
  get region(): string | undefined {
    const sc = this.scope;
    return sc?.kind === 'region' ? sc.name : undefined;
  }
  get dustHome(): string { return this.engine.dustHome; }
  get version(): string { return this.engine.version; }
  get dustConfig(): DustConfig { return this.engine.dustConfig; }
  get configFile(): string | undefined { return this.engine.configFile; }
  get inventory(): Inventory { return this.engine.inventory; }
  private get registry(): CommandRegistry { return this.engine.registry; }
  private get annotationStore(): JsonFileStore { return this.engine.annotationStore; }
  get sessionState(): ((node: DustNode) => string) | undefined { return this.engine.sessionState; }
  set sessionState(f: ((node: DustNode) => string) | undefined) { this.engine.sessionState = f; }

  clusterProviders(): readonly ClusterProvider[] {
    return this.engine.clusterProviders();
  }

  async scopeNames(): Promise<readonly { kind: string; name: string }[]> {
    const all: { kind: string; name: string }[] = [];
    for (const sc of this.engine.scopes()) for (const name of await sc.list()) all.push({ kind: sc.kind, name });
    return all;
  }

  async useScope(name: string): Promise<void> {
    const scopes = this.engine.scopes();
    if (scopes.length === 0) {
      throw new DustError(ErrorCodes.UnknownContext, `use: '${name}' is not a cluster, and no integration offers regions or other scopes`, { hint: 'clusters come from node definitions and login rules; `use *` clears the working set' });
    }
    for (const sc of scopes) {
      const names = await sc.list();
      if (!names.includes(name)) continue;
      await sc.use(name);
      this.workingCluster = undefined;
      this.inventory.invalidate();
      // The scope is the engine's: every client's prompt follows (this one's too).
      for (const l of this.engine.regionListeners) l();
      return;
    }
    const known = (await this.scopeNames()).map((s) => s.name);
    throw new DustError(ErrorCodes.UnknownContext, `use: no cluster or ${scopes.map((s) => s.kind).join('/')} named '${name}'`, { hint: `${scopes[0]!.kind}s: ${known.join(', ')}` });
  }

  async annotate(node: DustNode, key: string, value: string | undefined): Promise<void> {
    // Merged into the node's record as it is on disk now: another dust may have annotated it meanwhile.
    await this.annotationStore.update<Record<string, string>>(node.name, (onDisk) => {
      const next = { ...(onDisk ?? {}) };
      if (value === undefined) delete next[key];
      else next[key] = value;
      return Object.keys(next).length === 0 ? undefined : next;
    });
    this.inventory.invalidate();
  }

  /** This client's own `run:` defaults (a script client's `--timeout`), over the config's. */
  runOverrides: { timeout?: number } | undefined;

  get config(): Readonly<Record<string, unknown>> {
    const config = this.dustConfig as unknown as Readonly<Record<string, unknown>>;
    if (!this.runOverrides) return config;
    return { ...config, run: { ...(config['run'] as object | undefined), ...this.runOverrides } };
  }

  nodes(): Promise<readonly DustNode[]> {
    return this.inventory.nodes();
  }

  async workingSet(): Promise<readonly DustNode[]> {
    const all = await this.inventory.nodes();
    return this.workingCluster === undefined ? all : all.filter((n) => n.cluster === this.workingCluster);
  }

  async clusters(): Promise<readonly string[]> {
    const names = new Set<string>();
    for (const n of await this.inventory.nodes()) if (n.cluster) names.add(n.cluster);
    for (const r of this.inventory.loginRules) if (r.cluster) names.add(r.cluster);
    return [...names].sort();
  }

  async resolveTarget(expr: string | undefined): Promise<DustNode[]> {
    // Host lists are read first: their unknown hosts join the inventory (source hostfile) before it is read.
    const lists = new Map<string, HostList>();
    for (const file of fileTermsOf(parseTarget(expr ?? ''))) {
      const { key, list } = readHostList(file);
      lists.set(file, list);
      this.inventory.useHostList(key, list);
    }
    const nodes = await this.inventory.nodes();
    const workingSet = await this.workingSet();
    return resolveTarget(expr ?? '', {
      nodes, workingSet, clusterNames: new Set(await this.clusters()), virtual: this.lastResultKeys,
      hostList: (file) => lists.get(file) ?? readHostList(file).list,
    });
  }

  /** Each node's outcome in the last command that ran on nodes; the command runner and sessions fill it. */
  readonly lastResults = new LastResults();

  private readonly lastResultKeys = {
    keys: [...LAST_RESULT_KEYS, 'session'],
    value: (node: DustNode, key: string) => (key === 'session' ? (this.sessionState?.(node) ?? 'closed') : this.lastResults.property(node.name, key)),
  };

  lastRun(node: DustNode): LastRun | undefined {
    return this.lastResults.get(node.name);
  }

  invalidate(): void {
    this.inventory.invalidate();
  }

  useCluster(name: string | undefined): void {
    this.workingCluster = name;
    this.onContextChange?.();
  }

  commands(): readonly RegisteredCommand[] {
    return this.registry.list();
  }

  store(namespace: string): KeyValueStore {
    let s = this.engine.stores.get(namespace);
    if (!s) {
      s = JsonFileStore.forNamespace(this.dustHome, namespace);
      this.engine.stores.set(namespace, s);
    }
    return s;
  }

  /** This client's muted nodes (`mute`), counted in the prompt so hidden output is never forgotten. */
  muted: ReadonlySet<string> | undefined;

  /** `[slurm1]$ ` with a working set, `[us-east-1]$ ` with a region, `[dust]$ ` otherwise; `, 2 muted` when some are. */
  promptText(): string {
    const muted = this.muted?.size ? `, ${this.muted.size} muted` : '';
    return `[${this.workingCluster ?? this.region ?? 'dust'}${muted}]$ `;
  }
}
