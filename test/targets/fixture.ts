import type { DustNode, PropertyValue } from '../../src/inventory/node.js';
import type { TargetScope } from '../../src/targets/index.js';

/** Builds one node; `index` is assigned by `inventory()` after sorting, like the real inventory does. */
function node(
  name: string,
  cluster: string | undefined,
  state: string,
  tags: Record<string, string>,
  props: Record<string, PropertyValue>,
  annotations: Record<string, string> = {},
): DustNode {
  return {
    index: 0, name, source: cluster === undefined ? 'static' : 'ec2', cluster, state,
    host: String(props['ip'] ?? `${name}.example.test`), port: 22, user: 'ec2-user', identityFile: undefined,
    proxyJump: undefined, tags, annotations, props,
  };
}

/**
 * 25 nodes: bastion, master (no cluster), node01..node10 (cluster `hpc`), worker0..worker12 (cluster
 * `slurm1`). Indexes 1..25 in that order, so worker0 is 13 and worker12 is 25.
 */
export function inventory(): DustNode[] {
  const nodes: DustNode[] = [
    node('bastion', undefined, 'running', { Name: 'bastion' }, { public_ip: '54.1.2.3', type: 't3.micro' }),
    node('master', undefined, 'running', { Name: 'master', role: 'head', env: 'prod' },
      { ip: '10.0.0.1', type: 't3.large', launch_time: '2016-04-03 21:09:27+00:00', vpc: 'vpc-1' }),
  ];
  for (let i = 1; i <= 10; i++) {
    const name = `node${String(i).padStart(2, '0')}`;
    const state = i === 5 ? 'stopped' : i === 10 ? 'terminated' : 'running';
    const tags: Record<string, string> = { Name: name, env: i <= 6 ? 'prod' : 'dev' };
    if (i === 1) tags['team'] = 'a,b';
    if (i === 2) tags['url'] = 'http://x:80';
    if (i === 9) tags['empty'] = '';
    nodes.push(node(name, 'hpc', state, tags,
      { ip: `10.0.2.${i}`, type: 'c5.xlarge', launch_time: `2017-01-${String(i).padStart(2, '0')} 08:00:00+00:00`, vpc: 'vpc-2' },
      i === 3 ? { 'gpu-bad': 'ecc' } : {}));
  }
  for (let i = 0; i <= 12; i++) {
    const state = i === 3 || i === 7 ? 'stopped' : 'running';
    nodes.push(node(`worker${i}`, 'slurm1', state,
      { Name: `worker${i}`, 'aws:cloudformation:stack-name': 'slurm1', env: i <= 5 ? 'prod' : 'dev' },
      { ip: `10.0.1.${i}`, type: i < 2 ? 't3.large' : 'c5.2xlarge', launch_time: '2016-04-03 21:10:00+00:00', vpc: 'vpc-1', spot: i === 11 },
      i === 4 ? { drained: 'kernel upgrade' } : {}));
  }
  return nodes.map((n, i) => ({ ...n, index: i + 1 }));
}

export const ALL = inventory();

export const CLUSTERS: ReadonlySet<string> = new Set(['slurm1', 'hpc']);

/** Scope over the whole inventory, or restricted to the nodes `inWorkingSet` keeps. */
export function scope(inWorkingSet: (n: DustNode) => boolean = () => true): TargetScope {
  return { nodes: ALL, workingSet: ALL.filter(inWorkingSet), clusterNames: CLUSTERS };
}

/** Names of nodes, in the order given. */
export const names = (nodes: readonly DustNode[]): string[] => nodes.map((n) => n.name);

/** `worker0`..`worker<n-1>` style helper. */
export const seq = (prefix: string, from: number, to: number, width = 0): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${String(from + i).padStart(width, '0')}`);
