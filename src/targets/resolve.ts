import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { CORE_PROPERTIES, nodeProperty, nodePropertyKeys, type DustNode, type PropertyValue } from '../inventory/node.js';
import { parseTarget, type TargetExpr } from './parser.js';
import { matchPattern } from './pattern.js';
import { rangeHasValue } from './range.js';
import { editDistance } from '../text/closest-word.js';

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
 *   `key=value` whose key no node of the inventory has.
 */
export function resolveTarget(expr: string | TargetExpr, scope: TargetScope): DustNode[] {
  const source = typeof expr === 'string' ? expr : undefined;
  const tree = typeof expr === 'string' ? parseTarget(expr) : expr;
  checkKeys(tree, scope.nodes, source, scope.virtual?.keys ?? []);
  const selected = evaluate(tree, scope);
  return [...selected].sort((a, b) => a.index - b.index);
}

function evaluate(e: TargetExpr, scope: TargetScope): Set<DustNode> {
  const pick = (test: (n: DustNode) => boolean): Set<DustNode> => new Set(scope.workingSet.filter(test));
  switch (e.kind) {
    case 'all':
      return new Set(scope.workingSet);
    case 'index':
      if (scope.clusterNames.has(e.text)) return pick(inCluster(e.text));
      return pick((n) => rangeHasValue(e.ranges, n.index));
    case 'name':
      if (scope.clusterNames.has(e.text)) return pick(inCluster(e.text));
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
    case 'union': {
      const out = evaluate(e.left, scope);
      for (const n of evaluate(e.right, scope)) out.add(n);
      return out;
    }
    case 'intersection': {
      const right = evaluate(e.right, scope);
      return new Set([...evaluate(e.left, scope)].filter((n) => right.has(n)));
    }
    case 'difference': {
      const right = evaluate(e.right, scope);
      return new Set([...evaluate(e.left, scope)].filter((n) => !right.has(n)));
    }
  }
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
  const visit = (e: TargetExpr): void => {
    if (e.kind === 'union' || e.kind === 'intersection' || e.kind === 'difference') { visit(e.left); visit(e.right); return; }
    if (e.kind !== 'property') return;
    known ??= new Set([...describeTargetKeys(nodes, virtualKeys), ...PAIR_KEYS]);
    if (known.has(e.key)) return;
    const where = source === undefined ? `in '${e.text}'` : `at column ${e.column} in '${source}'`;
    throw new DustError(ErrorCodes.TargetUnknownProperty, `target: unknown property '${e.key}' ${where}`, {
      hint: unknownKeyHint(e.key, describeTargetKeys(nodes, virtualKeys)),
    });
  };
  visit(tree);
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
