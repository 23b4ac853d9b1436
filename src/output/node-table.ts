import { Table } from './lazy-table.js';
import type { ChalkInstance } from 'chalk';
import type { DustNode } from '../inventory/node.js';
import { stateColor } from './style.js';

export type Verbosity = 0 | 1 | 2;

interface Column {
  head: string;
  value(n: DustNode): string;
}

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const isPod = (n: DustNode): boolean => n.source === 'kubernetes';

/**
 * The state column. A pod's phase hides why it is stuck (`pending` for ImagePullBackOff, `running` for a
 * CrashLoopBackOff container), so kubectl's STATUS word follows when it says more.
 */
function stateText(n: DustNode): string {
  const status = isPod(n) ? str(n.props['status']) : '';
  return status !== '' && status.toLowerCase() !== n.state.toLowerCase() ? `${n.state} (${status})` : n.state;
}

/** Columns for `show`; a column every listed node leaves empty is dropped. */
function columns(verbosity: Verbosity): Column[] {
  const cols: Column[] = [
    { head: 'name', value: (n) => n.name },
    { head: 'state', value: stateText },
    // Port 0: reached some other way than host:port (a pod, through the API server).
    { head: 'address', value: (n) => (n.port === 22 || n.port === 0 ? n.host : `${n.host}:${n.port}`) },
    { head: 'type', value: (n) => str(n.props['type']) },
    { head: 'id', value: (n) => str(n.props['id']) },
    { head: 'private ip', value: (n) => str(n.props['private_ip']) },
    // Pods: where they are and what they run (kubectl get pods -o wide, in short).
    { head: 'namespace', value: (n) => (isPod(n) ? str(n.props['namespace']) : '') },
    { head: 'image', value: (n) => (isPod(n) ? str(n.props['image']) : '') },
  ];
  if (verbosity >= 1) {
    cols.push(
      { head: 'login', value: (n) => [n.user ? `${n.user}@` : '', n.identityFile ? ` key=${n.identityFile}` : '', n.proxyJump ? ` via ${n.proxyJump}` : ''].join('').trim() },
      { head: 'tags', value: (n) => Object.entries(n.tags).map(([k, v]) => `${k}=${v}`).join(', ') },
      { head: 'notes', value: (n) => Object.entries(n.annotations).map(([k, v]) => (v === '' || v === 'true' ? k : `${k}=${v}`)).join(', ') },
      { head: 'source', value: (n) => n.source },
      { head: 'launched', value: (n) => str(n.props['launch_time']) },
      { head: 'ready', value: (n) => (isPod(n) ? str(n.props['ready']) : '') },
      { head: 'restarts', value: (n) => (isPod(n) ? str(n.props['restarts']) : '') },
      { head: 'age', value: (n) => (isPod(n) ? str(n.props['age']) : '') },
      { head: 'k8s node', value: (n) => (isPod(n) ? str(n.props['node']) : '') },
    );
  }
  return cols;
}

/**
 * The `show` table: one row per node with its index, grouped under a header row per cluster
 * (nodes without a cluster last, as "unassigned"). `-vv` adds every property under each row.
 */
export function renderNodeTable(nodes: readonly DustNode[], opts: { verbosity: Verbosity; chalk: ChalkInstance; color: boolean; width?: number }): string {
  const { chalk } = opts;
  const cols = columns(opts.verbosity).filter((c) => nodes.some((n) => c.value(n) !== ''));
  const table = new (Table())({
    head: ['#', ...cols.map((c) => c.head)],
    style: opts.color ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  // Group headers are ordinary rows (cli-table3 draws stray joints around colSpan rows without separators).
  let group: string | undefined | null = null;
  for (const n of nodes) {
    if (n.cluster !== group) {
      group = n.cluster;
      const label = group === undefined ? 'unassigned' : `cluster ${group}`;
      table.push(['', chalk.bold(label), ...cols.slice(1).map(() => '')]);
    }
    table.push([chalk.dim(String(n.index)), ...cols.map((c) => (c.head === 'state' ? stateColor(chalk, n.state, stateText(n)) : c.value(n)))]);
  }
  if (opts.verbosity < 2) return table.toString();
  const details = nodes.map((n) => [
    chalk.bold(`#${n.index} ${n.name}`),
    ...allProperties(n).map(([k, v]) => `  ${chalk.dim(k.padEnd(18))} ${v}`),
  ].join('\n'));
  return [table.toString(), ...details].join('\n\n');
}

/** Every property of a node as [key, value] text pairs, for `show -vv`. */
export function allProperties(n: DustNode): [string, string][] {
  const out: [string, string][] = [
    ['index', String(n.index)], ['name', n.name], ['state', n.state], ['cluster', str(n.cluster)], ['source', n.source],
    ['host', n.host], ['port', String(n.port)], ['user', str(n.user)], ['identityfile', str(n.identityFile)], ['proxyjump', str(n.proxyJump)],
  ];
  for (const [k, v] of Object.entries(n.tags)) out.push([`tags.${k}`, v]);
  for (const [k, v] of Object.entries(n.annotations)) out.push([`annotation.${k}`, v]);
  for (const [k, v] of Object.entries(n.props).sort(([a], [b]) => a.localeCompare(b))) out.push([k, str(v)]);
  return out.filter(([, v]) => v !== '');
}
