import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { CORE_PROPERTIES, nodeProperty, nodePropertyKeys, type DustNode, type PropertyValue } from '../inventory/node.js';
import { editDistance } from '../text/closest-word.js';
import { entryConflict, HostIndex, type HostList } from './host-list.js';
import { parseTarget, type SetOperation, type TargetExpr } from './parser.js';
import { expandPattern, firstGlobToken, matchPattern, type Pattern } from './pattern.js';
import { rangeCount, rangeHasValue } from './range.js';
import { printable } from '../errors/printable.js';

/** What a target selects from. */
export interface TargetScope {
  /** The whole inventory, already sorted and indexed. */
  nodes: readonly DustNode[];
  /** Subset selected by `use`; equals `nodes` when no working set is active. */
  workingSet: readonly DustNode[];
  /** Known cluster names: a bare term equal to one (case-sensitive) means `cluster=<term>`. */
  clusterNames: ReadonlySet<string>;
  /**
   * Keys answered by the shell rather than stored on nodes (`last`, `rc`: the outcome of the last command).
   * `value` returns undefined for a node that has none, which never matches.
   */
  virtual?: { keys: readonly string[]; value(node: DustNode, key: string): PropertyValue };
  /**
   * Reads the host list a `file:PATH` term names (the target language does no I/O itself). Without it a
   * `file:` term is an error. Throws DustError DUST_HOST_FILE for an unreadable or malformed file.
   */
  hostList?: (path: string) => HostList;
  /**
   * `error` (default): `key=value` with a key no node has is a mistake worth an error (`stat=running`).
   * `no-match`: the term just matches no node — for selectors written once and applied to inventories that
   * change (login rules: `id=i-…` must not break every command in a region without that instance).
   */
  unknownProperty?: 'error' | 'no-match';
}

/** Keys `key=value` accepts although they are not node properties. */
const PAIR_KEYS = ['tags', 'tag', 'annotation', 'annotations'];

/**
 * Resolves a target to nodes, sorted by index (numerically) and unique.
 *
 * Every term selects from the WORKING SET, never the whole inventory: after `use slurm1`, `node01` or
 * `cluster=hpc` select nothing and `*` / `!worker3` mean "the working set (minus worker3)". Indexes are
 * still the global ones, so they do not shift when the working set changes.
 *
 * A target that matches nothing returns []; callers report it with `describeNoMatch`.
 * @throws DustError DUST_TARGET_SYNTAX for a malformed expression, DUST_TARGET_UNKNOWN_PROPERTY for a
 *   `key=value` whose key no node of the inventory has, DUST_HOST_FILE for a `file:` list that cannot be used.
 */
export function resolveTarget(expr: string | TargetExpr, scope: TargetScope): DustNode[] {
  const source = typeof expr === 'string' ? expr : undefined;
  const tree = typeof expr === 'string' ? parseTarget(expr) : expr;
  if (scope.unknownProperty !== 'no-match') checkKeys(tree, scope.nodes, source, scope.virtual?.keys ?? []);
  const selected = evaluate(tree, new Evaluation(scope));
  return [...selected].sort((a, b) => a.index - b.index);
}

/** The paths of the `file:` terms of an expression, in order, each once (a caller reads them before resolving). */
export function fileTermsOf(expr: TargetExpr): string[] {
  const files = new Set<string>();
  const stack: TargetExpr[] = [expr];
  for (let e = stack.pop(); e !== undefined; e = stack.pop()) {
    if (isOperation(e)) stack.push(e.right, e.left);
    else if (e.kind === 'file') files.add(e.path);
  }
  return [...files];
}

const isOperation = (e: TargetExpr): e is SetOperation =>
  e.kind === 'union' || e.kind === 'intersection' || e.kind === 'difference' || e.kind === 'xor';

/** Lookup tables one resolution builds lazily, so a 1,000-name folded list is not 1,000 scans of the inventory. */
class Evaluation {
  private names: Map<string, DustNode[]> | undefined;
  private hosts: HostIndex<DustNode> | undefined;
  private members: Set<DustNode> | undefined;
  constructor(readonly scope: TargetScope) {}

  /** Working-set nodes by lower-case name. */
  byName(name: string): readonly DustNode[] {
    if (!this.names) {
      this.names = new Map();
      for (const n of this.scope.workingSet) {
        const key = n.name.toLowerCase();
        const list = this.names.get(key);
        if (list) list.push(n);
        else this.names.set(key, [n]);
      }
    }
    return this.names.get(name.toLowerCase()) ?? [];
  }

  /** Host-list entries are looked up in the whole inventory (an entry naming a node outside `use` is no error). */
  hostIndex(): HostIndex<DustNode> {
    return (this.hosts ??= new HostIndex(this.scope.nodes));
  }

  inWorkingSet(n: DustNode): boolean {
    return (this.members ??= new Set(this.scope.workingSet)).has(n);
  }
}

function evaluate(root: TargetExpr, ev: Evaluation): Set<DustNode> {
  // `a,b,c,…` parses as a left-leaning chain as long as the list: walk it with a loop, not recursion.
  const chain: SetOperation[] = [];
  let e = root;
  while (isOperation(e)) {
    chain.push(e);
    e = e.left;
  }
  let acc = evaluateTerm(e, ev);
  for (let i = chain.length - 1; i >= 0; i--) {
    const op = chain[i]!;
    const right = evaluate(op.right, ev); // an operand: a term, `!term` or `( … )`, so nesting is bounded
    switch (op.kind) {
      case 'union':
        for (const n of right) acc.add(n);
        break;
      case 'intersection':
        acc = new Set([...acc].filter((n) => right.has(n)));
        break;
      case 'difference':
        for (const n of right) acc.delete(n);
        break;
      case 'xor':
        for (const n of right) if (!acc.delete(n)) acc.add(n);
        break;
    }
  }
  return acc;
}

/** A term's nodes, as a fresh set the caller may change. */
function evaluateTerm(e: Exclude<TargetExpr, SetOperation>, ev: Evaluation): Set<DustNode> {
  const { scope } = ev;
  const pick = (test: (n: DustNode) => boolean): Set<DustNode> => new Set(scope.workingSet.filter(test));
  switch (e.kind) {
    case 'all':
      return new Set(scope.workingSet);
    case 'index':
      if (scope.clusterNames.has(e.text)) return pick(inCluster(e.text));
      return pick((n) => rangeHasValue(e.ranges, n.index));
    case 'name':
      if (scope.clusterNames.has(e.text)) return pick(inCluster(e.text));
      if (isSmallExpansion(e.pattern, scope.workingSet.length)) {
        return new Set(expandPattern(e.pattern).flatMap((name) => ev.byName(name)));
      }
      return pick((n) => matchPattern(e.pattern, n.name));
    case 'property': {
      const virtual = scope.virtual?.keys.includes(e.key) ? scope.virtual : undefined;
      return pick((n) => {
        const v = virtual ? virtual.value(n, e.key) : nodeProperty(n, e.key);
        return v !== undefined && v !== null && v !== '' && matchPattern(e.value, String(v));
      });
    }
    case 'pairs':
      return pick((n) => Object.entries(e.field === 'tags' ? n.tags : n.annotations)
        .some(([k, v]) => matchPattern(e.key, k) && (e.value === undefined || matchPattern(e.value, v))));
    case 'file': {
      if (!scope.hostList) {
        throw new DustError(ErrorCodes.HostFile, printable(`target: host lists cannot be read here ('${e.text}')`), {
          hint: 'file: works in command targets; list the nodes by name instead',
        });
      }
      const list = scope.hostList(e.path);
      const index = ev.hostIndex();
      const out = new Set<DustNode>();
      for (const entry of list.entries) {
        const m = index.match(entry);
        if ('conflict' in m) throw entryConflict(list, entry, m.conflict);
        for (const n of m.nodes) if (ev.inWorkingSet(n)) out.add(n);
      }
      return out;
    }
  }
}

/** A glob-free name (`worker3`, `node[01-10]`) that stands for few names is looked up, not matched against every node. */
function isSmallExpansion(pattern: Pattern, nodes: number): boolean {
  if (firstGlobToken(pattern) !== undefined) return false;
  let count = 1;
  for (const t of pattern.tokens) if (t.t === 'range') count *= rangeCount(t.items);
  return count <= Math.max(64, nodes);
}

/** Same as `cluster=<name>` for a plain name (no glob characters in cluster names). */
function inCluster(name: string): (n: DustNode) => boolean {
  const lower = name.toLowerCase();
  return (n) => n.cluster !== undefined && n.cluster.toLowerCase() === lower;
}

/**
 * Property keys usable in `key=value` over these nodes, for completion and hints: the core fields,
 * `tags`, `annotation`, then every `props` key any node has (sorted). Aliases (`tag`, `annotations`)
 * are accepted but not listed.
 */
export function describeTargetKeys(nodes: readonly DustNode[], virtualKeys: readonly string[] = []): string[] {
  const base: string[] = [...CORE_PROPERTIES, 'tags', 'annotation', ...virtualKeys];
  const extra = new Set<string>();
  for (const node of nodes) for (const key of nodePropertyKeys(node)) extra.add(key.toLowerCase());
  for (const key of base) extra.delete(key);
  return [...base, ...[...extra].sort()];
}

/** Rejects `key=value` terms whose key no node has, so `stat=running` is an error and not an empty result. */
function checkKeys(tree: TargetExpr, nodes: readonly DustNode[], source: string | undefined, virtualKeys: readonly string[]): void {
  let known: Set<string> | undefined;
  const stack: TargetExpr[] = [tree];
  for (let e = stack.pop(); e !== undefined; e = stack.pop()) {
    if (isOperation(e)) { stack.push(e.right, e.left); continue; }
    if (e.kind !== 'property') continue;
    known ??= new Set([...describeTargetKeys(nodes, virtualKeys), ...PAIR_KEYS]);
    if (known.has(e.key)) continue;
    const where = source === undefined ? `in '${e.text}'` : `at column ${e.column} in '${source}'`;
    throw new DustError(ErrorCodes.TargetUnknownProperty, printable(`target: unknown property '${e.key}' ${where}`), {
      hint: printable(unknownKeyHint(e.key, describeTargetKeys(nodes, virtualKeys))),
    });
  }
}

function unknownKeyHint(key: string, keys: readonly string[]): string {
  const ranked = keys
    .map((k, order) => ({ k, order, d: editDistance(key, k) }))
    .sort((a, b) => a.d - b.d || a.order - b.order);
  const best = ranked[0];
  const guess = best !== undefined && best.d <= Math.max(1, Math.floor(key.length / 3)) ? `did you mean '${best.k}'? ` : '';
  const shown = ranked.slice(0, 8).map((r) => r.k);
  const more = keys.length > shown.length ? `, … (${keys.length} in all)` : '';
  return `${guess}known properties: ${shown.join(', ')}${more}`;
}
