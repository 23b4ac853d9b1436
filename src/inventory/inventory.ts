import type { LoginRule } from '../config/schema.js';
import { expandHome } from '../config/paths.js';
import { resolveTarget, parseTarget } from '../targets/index.js';
import type { DustNode } from './node.js';
import { nodeProperty } from './node.js';
import type { InventoryProvider, NodeDraft } from './provider.js';
import { naturalCompare } from './natural-compare.js';

export interface InventorySnapshot {
  nodes: DustNode[];
  /** Providers that failed this time; their nodes are missing from `nodes`. */
  failures: { provider: string; error: unknown }[];
}

/**
 * The union of every provider's nodes, with login rules applied, sorted and given stable 1-based indexes.
 * Cached until `invalidate()` (after refresh, start/stop, tag, rule changes), so indexes don't move
 * between commands.
 */
/** States a node leaves by itself (a launch, a stop): a cache that holds one goes stale. */
const TRANSITIONAL_STATES = new Set(['pending', 'stopping', 'shutting-down', 'rebooting', 'terminating']);

export class Inventory {
  private cached: Promise<InventorySnapshot> | undefined;
  /** When the cached snapshot was built, and whether a node in it was in a transitional state. */
  private cachedAt = 0;
  private cachedTransitional = false;
  /**
   * How long a snapshot holding a node in a transitional state is trusted. Without this, `show` kept saying
   * `pending` long after `cluster list` (which asks the cloud) said running, until someone typed `refresh`.
   */
  transitionalTtlMs = 3000;
  private annotationSource: ((name: string) => Record<string, string>) | undefined;
  /** Told after every rebuild (plugins subscribe through the `inventory:refreshed` event). */
  onRefreshed: ((nodes: readonly DustNode[]) => void) | undefined;
  /** Told once per rebuild for each provider that failed (its nodes are missing from that snapshot). */
  onProviderFailure: ((provider: string, error: unknown) => void) | undefined;

  constructor(private providers: InventoryProvider[], private rules: readonly LoginRule[]) {}

  setProviders(providers: InventoryProvider[]): void {
    this.providers = providers;
    this.invalidate();
  }

  addProvider(provider: InventoryProvider): void {
    this.providers = [...this.providers.filter((p) => p.name !== provider.name), provider];
    this.invalidate();
  }

  setRules(rules: readonly LoginRule[]): void {
    this.rules = rules;
    this.invalidate();
  }

  get loginRules(): readonly LoginRule[] {
    return this.rules;
  }

  /** Lets the annotation store decorate nodes without the inventory knowing where annotations live. */
  setAnnotationSource(fn: (name: string) => Record<string, string>): void {
    this.annotationSource = fn;
    this.invalidate();
  }

  invalidate(): void {
    this.cached = undefined;
  }

  snapshot(): Promise<InventorySnapshot> {
    if (this.cached && this.cachedTransitional && Date.now() - this.cachedAt >= this.transitionalTtlMs) this.cached = undefined;
    this.cached ??= this.build().catch((err: unknown) => {
      this.cached = undefined;
      throw err;
    });
    return this.cached;
  }

  async nodes(): Promise<DustNode[]> {
    return (await this.snapshot()).nodes;
  }

  private async build(): Promise<InventorySnapshot> {
    const failures: InventorySnapshot['failures'] = [];
    const lists = await Promise.all(this.providers.map(async (p) => {
      try {
        return await p.list();
      } catch (error) {
        failures.push({ provider: p.name, error });
        this.onProviderFailure?.(p.name, error);
        return [];
      }
    }));
    const drafts = dedupeNames(lists.flat());
    const annotated = drafts.map((d) => ({ ...d, annotations: { ...d.annotations, ...(this.annotationSource?.(d.name) ?? {}) } }));
    const withRules = applyLoginRules(annotated, this.rules);
    const nodes = sortAndIndex(withRules);
    this.cachedAt = Date.now();
    this.cachedTransitional = nodes.some((n) => TRANSITIONAL_STATES.has(n.state));
    this.onRefreshed?.(nodes);
    return { nodes, failures };
  }
}

/** Two providers naming the same node: later ones get a `@source` suffix so targets stay unambiguous. */
function dedupeNames(drafts: NodeDraft[]): NodeDraft[] {
  const seen = new Set<string>();
  return drafts.map((d) => {
    if (!seen.has(d.name)) {
      seen.add(d.name);
      return d;
    }
    let name = `${d.name}@${d.source}`;
    for (let i = 2; seen.has(name); i++) name = `${d.name}@${d.source}${i}`;
    seen.add(name);
    return { ...d, name };
  });
}

/**
 * dust's login model: rules are tried in order and the first whose selector (any target expression)
 * matches a node fills what the node does not say itself (user, key, port, jump host, cluster).
 * Selectors are matched against all nodes, not a working set. Rules are re-applied on every rebuild,
 * so a new rule takes effect at once (the original kept stale rules until refresh).
 */
export function applyLoginRules(drafts: readonly NodeDraft[], rules: readonly LoginRule[]): NodeDraft[] {
  if (rules.length === 0) return [...drafts];
  const provisional: DustNode[] = drafts.map((d, i) => ({ ...d, index: i + 1 }));
  const clusterNames = new Set(provisional.map((n) => n.cluster).filter((c): c is string => c !== undefined));
  const ruleFor = new Map<number, LoginRule>();
  for (const rule of rules) {
    const matched = resolveTarget(parseTarget(rule.selector), { nodes: provisional, workingSet: provisional, clusterNames });
    for (const n of matched) if (!ruleFor.has(n.index)) ruleFor.set(n.index, rule);
  }
  return provisional.map((n) => {
    const rule = ruleFor.get(n.index);
    const { index: _index, ...draft } = n;
    if (!rule) return draft;
    const address = rule.address ? addressFrom(n, rule.address) : undefined;
    return {
      ...draft,
      user: draft.user ?? rule.user,
      identityFile: draft.identityFile ?? (rule.identityFile ? expandHome(rule.identityFile) : undefined),
      // 22 is every provider's default, so a node that says another port keeps it over the rule.
      port: draft.port !== 22 ? draft.port : (rule.port ?? draft.port),
      proxyJump: draft.proxyJump ?? rule.proxyJump,
      // A cluster written in static config is the user's word; a cloud's tag is a default a rule overrides.
      cluster: draft.source === 'static' ? (draft.cluster ?? rule.cluster) : (rule.cluster ?? draft.cluster),
      host: address ?? draft.host,
      props: { ...draft.props, login_rule: rule.selector },
    };
  });
}

function addressFrom(node: DustNode, spec: string): string | undefined {
  const v = nodeProperty(node, spec);
  if (v !== undefined && v !== null && v !== '') return String(v);
  return /^[\w.:-]+$/.test(spec) && /[.:]/.test(spec) ? spec : undefined;
}

/** Clusters alphabetically with unassigned nodes last, names in natural order inside each; then 1..N. */
export function sortAndIndex(drafts: readonly NodeDraft[]): DustNode[] {
  const sorted = [...drafts].sort((a, b) => {
    if (a.cluster !== b.cluster) {
      if (a.cluster === undefined) return 1;
      if (b.cluster === undefined) return -1;
      return naturalCompare(a.cluster, b.cluster);
    }
    return naturalCompare(a.name, b.name);
  });
  return sorted.map((d, i) => ({ ...d, index: i + 1 }));
}
