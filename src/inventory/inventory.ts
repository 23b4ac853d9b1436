import type { LoginRule } from '../config/schema.js';
import { expandHome } from '../config/paths.js';
import { HostIndex, HOSTFILE_SOURCE, parseTarget, resolveTarget, type HostList, type TargetExpr } from '../targets/index.js';
import type { DustNode } from './node.js';
import { nodeProperty } from './node.js';
import type { InventoryProvider, NodeDraft } from './provider.js';
import { naturalCompare } from './natural-compare.js';
import { NodeIndexes } from './node-indexes.js';
import { readHostList } from './host-files.js';

export interface InventorySnapshot {
  nodes: DustNode[];
  /** Providers that failed this time; their nodes are missing from `nodes`. */
  failures: { provider: string; error: unknown }[];
}

/** States a node leaves by itself (a launch, a stop): a cache that holds one goes stale. */
const TRANSITIONAL_STATES = new Set(['pending', 'stopping', 'shutting-down', 'rebooting', 'terminating']);

/**
 * The union of every provider's nodes (plus the hosts of `file:` lists that name none of them), with login
 * rules applied, sorted and numbered. A node keeps its number (`index`) for the life of this Inventory —
 * one dust process — however the inventory changes (NodeIndexes). Cached until `invalidate()` (after
 * refresh, start/stop, tag, rule changes).
 */
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
  private annotationSource: (() => Readonly<Record<string, Record<string, string> | undefined>>) | undefined;
  private readonly indexes = new NodeIndexes();
  /**
   * Providers that report changes themselves (a pod watch), subscribed once they first listed successfully: a
   * provider's watch starts with the inventory's first use, not with dust (`dust -c help` starts no watch).
   */
  private readonly subscriptions = new Map<InventoryProvider, () => void>();
  /** Host lists used in targets so far, by absolute path (their unknown hosts become nodes). */
  private readonly hostLists = new Map<string, HostList>();
  private origins: readonly string[];
  /** Told after every rebuild (plugins subscribe through the `inventory:refreshed` event). */
  onRefreshed: ((nodes: readonly DustNode[]) => void) | undefined;
  /** Told once per rebuild for each provider that failed (its nodes are missing from that snapshot). */
  onProviderFailure: ((provider: string, error: unknown) => void) | undefined;
  /** Told once per rebuild for each login rule that could not be applied (the others still are). */
  onRuleFailure: ((message: string, error: unknown) => void) | undefined;

  /** `origins[i]` says where rule i was written, for messages (`logins[2] in ~/.cluster/config.yaml`). */
  constructor(private providers: InventoryProvider[], private rules: readonly LoginRule[], origins: readonly string[] = []) {
    this.origins = origins;
  }

  setProviders(providers: InventoryProvider[]): void {
    this.providers = providers;
    this.dropSubscriptions();
    this.invalidate();
  }

  addProvider(provider: InventoryProvider): void {
    this.providers = [...this.providers.filter((p) => p.name !== provider.name), provider];
    this.dropSubscriptions();
    this.invalidate();
  }

  /** Unsubscribes from providers that are no longer listed (or from all of them, when dust is leaving). */
  dropSubscriptions(all = false): void {
    for (const [provider, unsubscribe] of this.subscriptions) {
      if (!all && this.providers.includes(provider)) continue;
      this.subscriptions.delete(provider);
      unsubscribe();
    }
  }

  setRules(rules: readonly LoginRule[], origins: readonly string[] = []): void {
    this.rules = rules;
    this.origins = origins;
    this.invalidate();
  }

  /**
   * Remembers a host list a target named (`key`: its absolute path). Its entries that name no inventory
   * node become nodes of source `hostfile` from the next read on; a later read of the same file replaces it.
   */
  useHostList(key: string, list: HostList): void {
    const before = this.hostLists.get(key);
    this.hostLists.set(key, list);
    const same = before !== undefined && before.entries.length === list.entries.length
      && before.entries.every((e, i) => e.key === list.entries[i]?.key);
    if (!same) this.invalidate();
  }

  get loginRules(): readonly LoginRule[] {
    return this.rules;
  }

  /**
   * Lets the annotation store decorate nodes without the inventory knowing where annotations live: `fn` gives every
   * node's annotations by name, read once per rebuild (not once per node).
   */
  setAnnotationSource(fn: () => Readonly<Record<string, Record<string, string> | undefined>>): void {
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
        const drafts = await p.list();
        if (p.subscribe && !this.subscriptions.has(p) && this.providers.includes(p)) {
          this.subscriptions.set(p, p.subscribe(() => this.invalidate()));
        }
        return drafts;
      } catch (error) {
        failures.push({ provider: p.name, error });
        this.onProviderFailure?.(p.name, error);
        return [];
      }
    }));
    const annotations = this.annotationSource?.() ?? {};
    const annotate = (ds: readonly NodeDraft[]): NodeDraft[] =>
      ds.map((d) => ({ ...d, annotations: { ...d.annotations, ...(Object.hasOwn(annotations, d.name) ? annotations[d.name] : {}) } }));
    const reported = new Set<string>();
    const ruleOptions: LoginRuleOptions = {
      origins: this.origins,
      onRuleFailure: (message, error) => {
        if (reported.has(message)) return; // the ad-hoc nodes' pass meets the same broken rule
        reported.add(message);
        this.onRuleFailure?.(message, error);
      },
    };
    const trees = parseRules(this.rules, ruleOptions);
    const withRules = applyLoginRules(annotate(dedupeNames(lists.flat())), this.rules, { ...ruleOptions, trees });
    // Hosts of `file:` lists that are no inventory node: decided after the rules, which may set users.
    const adHoc = applyLoginRules(annotate(hostListDrafts([...this.hostLists.values()], withRules)), this.rules, { ...ruleOptions, trees });
    const nodes = sortAndIndex(dedupeNames([...withRules, ...adHoc]), this.indexes);
    this.cachedAt = Date.now();
    this.cachedTransitional = nodes.some((n) => TRANSITIONAL_STATES.has(n.state));
    this.onRefreshed?.(nodes);
    return { nodes, failures };
  }
}

/** Nodes for the entries of host lists that name no node in `known`, once each. */
function hostListDrafts(lists: readonly HostList[], known: readonly NodeDraft[]): NodeDraft[] {
  if (lists.length === 0) return [];
  const index = new HostIndex(known);
  const made = new Map<string, NodeDraft>();
  for (const list of lists) {
    for (const entry of list.entries) {
      const m = index.match(entry);
      // A conflicting entry (a known name with another user or port) is reported when a target uses it.
      if ('conflict' in m || m.nodes.length > 0 || made.has(entry.key)) continue;
      made.set(entry.key, {
        name: entry.key,
        source: HOSTFILE_SOURCE,
        cluster: undefined,
        state: 'running',
        host: entry.host,
        port: entry.port ?? 22,
        user: entry.user,
        identityFile: undefined,
        proxyJump: undefined,
        tags: {},
        annotations: {},
        props: { ip: entry.host, hostfile: list.file, hostfile_line: entry.line, hostfile_entry: entry.key },
      });
    }
  }
  return [...made.values()];
}

/**
 * Two nodes with the same name (two clusters each with a `worker0`, or two providers): later ones get a suffix so
 * targets stay unambiguous, their cluster's name when they have one (`worker0@spark1`), else their source's.
 */
function dedupeNames(drafts: NodeDraft[]): NodeDraft[] {
  const seen = new Set<string>();
  return drafts.map((d) => {
    if (!seen.has(d.name)) {
      seen.add(d.name);
      return d;
    }
    const byCluster = d.cluster ? `${d.name}@${d.cluster}` : undefined;
    if (byCluster !== undefined && !seen.has(byCluster)) {
      seen.add(byCluster);
      return { ...d, name: byCluster };
    }
    let name = `${d.name}@${d.source}`;
    for (let i = 2; seen.has(name); i++) name = `${d.name}@${d.source}${i}`;
    seen.add(name);
    return { ...d, name };
  });
}

export interface LoginRuleOptions {
  /** Where each rule was written, for messages; a rule without one is called `login rule N`. */
  origins?: readonly string[];
  /** A rule whose selector cannot be used is skipped and reported here; the other rules still apply. */
  onRuleFailure?: (message: string, error: unknown) => void;
  /** Selectors parsed once per rebuild (`parseRules`), undefined where the selector did not parse. */
  trees?: ReadonlyArray<TargetExpr | undefined>;
}

function describeRule(rules: readonly LoginRule[], i: number, options: LoginRuleOptions): string {
  const origin = options.origins?.[i];
  return `login rule ${i + 1}${origin === undefined ? '' : ` (${origin})`} '${rules[i]?.selector ?? ''}'`;
}

/** Parses each rule's selector; one that does not parse is reported (naming the rule) and skipped. */
export function parseRules(rules: readonly LoginRule[], options: LoginRuleOptions = {}): Array<TargetExpr | undefined> {
  return rules.map((rule, i) => {
    try {
      return parseTarget(rule.selector);
    } catch (error) {
      options.onRuleFailure?.(`${describeRule(rules, i, options)} is skipped`, error);
      return undefined;
    }
  });
}

/**
 * dust's login model: rules are tried in order and the first whose selector (any target expression)
 * matches a node fills what the node does not say itself (user, key, port, jump host, cluster).
 * Selectors are matched against all nodes, not a working set. Rules are re-applied on every rebuild,
 * so a new rule takes effect at once (the original kept stale rules until refresh).
 *
 * A selector is written once and meets inventories that change (another region, a node without the
 * property), so `key=value` with a key no node has simply matches nothing here instead of failing every
 * command. A selector that cannot be used at all (bad syntax, an unreadable `file:`) skips that one rule
 * and is reported through `onRuleFailure`, naming the rule and where it was written.
 */
export function applyLoginRules(drafts: readonly NodeDraft[], rules: readonly LoginRule[], options: LoginRuleOptions = {}): NodeDraft[] {
  if (rules.length === 0 || drafts.length === 0) return [...drafts];
  const provisional: DustNode[] = drafts.map((d, i) => ({ ...d, index: i + 1 }));
  const clusterNames = new Set(provisional.map((n) => n.cluster).filter((c): c is string => c !== undefined));
  const trees = options.trees ?? parseRules(rules, options);
  const ruleFor = new Map<number, LoginRule>();
  rules.forEach((rule, i) => {
    const tree = trees[i];
    if (tree === undefined) return;
    let matched: DustNode[];
    try {
      matched = resolveTarget(tree, {
        nodes: provisional, workingSet: provisional, clusterNames, unknownProperty: 'no-match',
        hostList: (file) => readHostList(file).list,
      });
    } catch (error) {
      options.onRuleFailure?.(`${describeRule(rules, i, options)} is skipped`, error);
      return;
    }
    for (const n of matched) if (!ruleFor.has(n.index)) ruleFor.set(n.index, rule);
  });
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

/**
 * Clusters alphabetically with unassigned nodes last, names in natural order inside each; then numbered:
 * 1..N by a fresh NodeIndexes, or keeping the numbers an inventory's NodeIndexes gave before.
 */
export function sortAndIndex(drafts: readonly NodeDraft[], indexes = new NodeIndexes()): DustNode[] {
  const sorted = [...drafts].sort((a, b) => {
    if (a.cluster !== b.cluster) {
      if (a.cluster === undefined) return 1;
      if (b.cluster === undefined) return -1;
      return naturalCompare(a.cluster, b.cluster);
    }
    return naturalCompare(a.name, b.name);
  });
  return indexes.assign(sorted);
}
