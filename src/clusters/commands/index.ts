/**
 * The `cluster` command: a cluster's whole life from a spec — init, up (provision + setup), status, submit,
 * follow, dashboard, down, list. Provisioning is the registered ClusterProvider's (EC2, Kubernetes, or a
 * plugin's); everything on the nodes goes through dust's sessions, the same for every provider.
 */
import type { CommandContext, CommandSpec } from '../../plugins/api.js';
import { recordedClusters } from '../records.js';
import { USAGE, usageError } from './common.js';
import type { SetupTuning } from './setup-step.js';

const SUBCOMMANDS = ['init', 'up', 'status', 'list', 'submit', 'follow', 'dashboard', 'down'] as const;
type Sub = (typeof SUBCOMMANDS)[number];

/** Which flags each subcommand takes (a flag given to another one is a usage error, not silently ignored). */
const FLAGS_OF: Record<Sub, readonly string[]> = {
  init: ['provider', 'k8s', 'force'],
  up: ['file', 'nodes', 'provider', 'k8s', 'image', 'spec', 'timeout', 'yes', 'no-setup', 'setup-all'],
  status: ['provider', 'no-probe'],
  list: [],
  submit: ['workdir', 'detach', 'provider', 'timeout'],
  follow: ['provider'],
  dashboard: ['port', 'local', 'provider', 'for'],
  down: ['yes', 'wait', 'provider'],
};

export interface ClusterCommandOptions {
  /** Tests shorten the wait for nodes that never answer. */
  setup?: SetupTuning;
}

export function clusterCommand(options: ClusterCommandOptions = {}): CommandSpec {
  return {
    name: 'cluster',
    usage: USAGE,
    summary: 'a cluster from a spec: init, up (provision + setup), status, submit, dashboard, down, list',
    help: [
      'cluster init [FILE|NAME] writes a commented spec (every key, its default, whether it is required); --provider k8s for pods.',
      'cluster up -f FILE (or cluster up FILE, or cluster up NAME for the spec it last had, or the defaults) provisions the',
      'cluster idempotently (running it again changes nothing), waits until the head answers, and runs dependencies and',
      'setup over dust\'s sessions with live [node] lines. --nodes N overrides the node count (head included); --no-setup',
      'skips setup; --setup-all sets up nodes that are set up already. -y does not ask. --image IMG and (pods) --spec',
      'pod.yaml override the spec; --timeout S bounds the wait for new nodes (pods not up by then are deleted and named).',
      'cluster up NAME --k8s --image IMG --nodes N needs no spec file: a head pod and N-1 worker pods.',
      'cluster status NAME: per node state, address, whether it answers now, setup outcome; then drift from the spec.',
      'cluster submit NAME [-w DIR] -- CMD copies DIR (default .; .gitignore and .dustignore honoured) to the head and runs',
      'CMD there; its exit status is dust\'s. --detach leaves it running (cluster follow NAME [ID] streams its log).',
      'cluster dashboard NAME [--port P] [--local L] forwards 127.0.0.1:L to the head\'s port P (spec dashboard.port) over',
      'the open session until Ctrl-C. cluster down NAME removes what up created and nothing else. cluster list shows',
      'running and terminated clusters with the head\'s address. docs/clusters.md has the spec.',
    ].join('\n'),
    examples: [
      'cluster init spark1', 'cluster up -f spark1.yaml', 'cluster up ray1 --k8s --image python:3.12 --nodes 4', 'cluster status spark1', 'cluster submit spark1 -- python train.py',
      'cluster dashboard spark1', 'cluster down spark1 -y', 'cluster list',
    ],
    target: { mode: 'none' },
    flags: {
      file: { type: 'string', short: 'f', description: 'up: the spec file', path: 'file' },
      nodes: { type: 'number', short: 'n', description: 'up: number of nodes, head included (overrides workers.count)' },
      provider: { type: 'string', short: 'p', description: 'init: ec2 or k8s; others: whose cluster the name is, when two providers have one' },
      force: { type: 'boolean', description: 'init: replace an existing file' },
      k8s: { type: 'boolean', description: 'init/up: a cluster of pods (the same as --provider k8s)' },
      image: { type: 'string', description: 'up: the image every node runs (a container image for k8s, an AMI id for ec2), over the spec\'s' },
      spec: { type: 'string', description: 'up (k8s): a pod spec file merged into every pod, over the spec\'s podSpec', path: 'file' },
      yes: { type: 'boolean', short: 'y', description: 'up/down: do not ask' },
      'no-setup': { type: 'boolean', description: 'up: provision only' },
      'setup-all': { type: 'boolean', description: 'up: set up every node again, not only those that are not set up' },
      'no-probe': { type: 'boolean', description: 'status: do not check whether nodes answer' },
      workdir: { type: 'string', short: 'w', description: 'submit: the directory to send (default: the current one)', path: 'directory' },
      detach: { type: 'boolean', short: 'd', description: 'submit: leave the job running in the background' },
      timeout: { type: 'number', description: 'submit: interrupt the job after this many seconds; up: how long to wait for new nodes to come up' },
      port: { type: 'number', description: 'dashboard: the port on the head (default: the spec\'s dashboard.port)' },
      local: { type: 'number', short: 'l', description: 'dashboard: the local port (default: a free one)' },
      for: { type: 'number', description: 'dashboard: close after this many seconds (default: at Ctrl-C)' },
      wait: { type: 'boolean', short: 'W', description: 'down: wait until everything is gone (always done: groups can only go after their nodes)' },
    },
    complete: (c) => {
      if (c.args.length === 0) return SUBCOMMANDS.filter((s) => s.startsWith(c.word));
      if (c.args.length === 1 && ['status', 'submit', 'follow', 'dashboard', 'down', 'up'].includes(c.args[0] ?? '')) {
        return recordedClusters(c.state.dustHome).map((r) => r.name).filter((n) => n.startsWith(c.word));
      }
      return [];
    },
    run: (ctx) => runCluster(ctx, options),
  };
}

async function runCluster(ctx: CommandContext, options: ClusterCommandOptions): Promise<boolean | number> {
  const [sub, ...rest] = ctx.positionals;
  const known = SUBCOMMANDS.join(', ');
  if (sub === undefined) throw usageError(`cluster: which subcommand? ${known}`, 'e.g. cluster init spark1, cluster up -f spark1.yaml, cluster list');
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
    throw usageError(`cluster: unknown subcommand '${sub}' (subcommands: ${known})`, 'e.g. cluster init spark1, cluster up -f spark1.yaml, cluster list');
  }
  const s = sub as Sub;
  const stray = Object.keys(ctx.flags).filter((f) => ctx.flags[f] !== undefined && !FLAGS_OF[s].includes(f));
  if (stray.length > 0) throw usageError(`cluster ${s}: --${stray[0]} does not apply here`, `cluster ${s} takes ${FLAGS_OF[s].length > 0 ? FLAGS_OF[s].map((f) => `--${f}`).join(', ') : 'no flags'}`);
  if (ctx.flags['k8s'] === true) {
    // `cluster up NAME --k8s --image IMG --nodes N`, as K8sClusterManagers.jl users would type it.
    if (typeof ctx.flags['provider'] === 'string' && ctx.flags['provider'] !== 'k8s') {
      throw usageError(`cluster ${s}: --k8s and --provider ${ctx.flags['provider']} disagree`, 'give one of them');
    }
    // The same context with the flag said the long way (the subcommands read --provider only).
    ctx = Object.create(ctx, { flags: { value: { ...ctx.flags, provider: 'k8s' }, enumerable: true } }) as CommandContext;
  }
  // Each subcommand loads on first use: the spec schema (zod), the archive (tar) and the setup steps are not
  // what a first prompt needs.
  switch (s) {
    case 'init': return (await import('./init.js')).clusterInit(ctx, rest);
    case 'up': return (await import('./up.js')).clusterUp(ctx, rest, options.setup ?? {});
    case 'status': return (await import('./status.js')).clusterStatus(ctx, rest);
    case 'list': return (await import('./list.js')).clusterList(ctx, rest);
    case 'submit': return (await import('./submit.js')).clusterSubmit(ctx, rest);
    case 'follow': return (await import('./submit.js')).clusterFollow(ctx, rest);
    case 'dashboard': return (await import('./dashboard.js')).clusterDashboard(ctx, rest);
    case 'down': return (await import('./down.js')).clusterDown(ctx, rest);
  }
}
