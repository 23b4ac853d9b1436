import { requireEc2 } from '../../ec2/access.js';
import type { CommandContext, CommandSpec, DustNode } from '../api.js';
import { DustError, isDustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { foldNodeNames } from '../../targets/index.js';
import { renderNodeTable } from '../../output/node-table.js';
import { makeChalk } from '../../output/style.js';
import { loadEc2Sdk } from '../../ec2/sdk.js';
import { sendEc2 } from '../../ec2/client.js';
import { waitAndReport, type WaitSettings } from '../../ec2/wait.js';
import { instanceIdOf, splitEc2Nodes } from '../../ec2/node-info.js';

export type PowerAction = 'start' | 'stop' | 'reboot' | 'terminate';

export type { WaitSettings } from '../../ec2/wait.js';

interface ActionTraits {
  api: 'StartInstances' | 'StopInstances' | 'RebootInstances' | 'TerminateInstances';
  /** Shown in the confirmation and results: `stop 3 instances?` */
  verb: string;
  /** State `--wait` waits for (reboot has none: EC2 never shows a rebooting state). */
  finalState: string | undefined;
  /** Asks even with -y when the target is a bare `*`. */
  destructive: boolean;
  /** What to do with a node in a given state: act, name it as a no-op, or skip it with a reason. */
  plan(state: string): 'act' | 'noop' | string;
  summary: string;
  help: string;
}

const TRAITS: Record<PowerAction, ActionTraits> = {
  start: {
    api: 'StartInstances', verb: 'start', finalState: 'running', destructive: false,
    plan: (s) => (s === 'stopped' ? 'act' : s === 'running' || s === 'pending' ? 'noop'
      : s === 'stopping' ? 'still stopping (start it once it is stopped)' : s === 'terminated' || s === 'shutting-down' ? 'terminated' : `in state ${s}`),
    summary: 'start stopped EC2 instances (asks first; -y skips; --wait waits until running)',
    help: 'Starts the targeted stopped instances. Running ones are named as no-ops, terminated ones skipped.',
  },
  stop: {
    api: 'StopInstances', verb: 'stop', finalState: 'stopped', destructive: true,
    plan: (s) => (s === 'running' || s === 'pending' ? 'act' : s === 'stopped' || s === 'stopping' ? 'noop'
      : s === 'terminated' || s === 'shutting-down' ? 'terminated' : `in state ${s}`),
    summary: 'stop EC2 instances (asks first; -y skips; --wait waits until stopped)',
    help: 'Stops the targeted running instances. Stopped ones are named as no-ops, terminated ones skipped.\n'
      + 'A bare `*` always asks, even with -y, so a script cannot stop everything by accident.',
  },
  reboot: {
    api: 'RebootInstances', verb: 'reboot', finalState: undefined, destructive: true,
    plan: (s) => (s === 'running' ? 'act' : `not running (${s})`),
    summary: 'reboot running EC2 instances (asks first; -y skips)',
    help: 'Reboots the targeted running instances (EC2 shows no separate state while they reboot, so --wait has nothing to wait for).',
  },
  terminate: {
    api: 'TerminateInstances', verb: 'terminate', finalState: 'terminated', destructive: true,
    plan: (s) => (s === 'terminated' || s === 'shutting-down' ? 'noop' : 'act'),
    summary: 'terminate EC2 instances for good (asks first; -y skips; --wait waits until terminated)',
    help: 'Terminates the targeted instances: their disks are deleted and they cannot come back.\n'
      + 'A bare `*` always asks, even with -y. The Name tag is left as it is; while a terminated instance is\n'
      + 'still listed next to a live one of the same name, dust shows it as <name>_terminated.',
  },
};

/** `start`, `stop`, `reboot` and `terminate` as commands. */
export function powerCommands(wait: WaitSettings = {}): CommandSpec[] {
  return (Object.keys(TRAITS) as PowerAction[]).map((action) => powerCommand(action, wait));
}

export function powerCommand(action: PowerAction, wait: WaitSettings = {}): CommandSpec {
  const t = TRAITS[action];
  return {
    name: action,
    usage: `${action} <target> [-y] ${t.finalState ? '[--wait]' : ''}`.trimEnd(),
    summary: t.summary,
    help: t.help,
    examples: [`${action} worker2`, `${action} -y cluster=slurm1${t.finalState ? ' --wait' : ''}`],
    target: { mode: 'required' },
    flags: {
      yes: { type: 'boolean', short: 'y', description: 'do not ask for confirmation (a bare * still asks)' },
      ...(t.finalState ? { wait: { type: 'boolean', short: 'w', description: `wait until every instance is ${t.finalState}` } } : {}),
    },
    run: (ctx) => runPower(ctx, action, t, wait),
  };
}

async function runPower(ctx: CommandContext, action: PowerAction, t: ActionTraits, wait: WaitSettings): Promise<boolean> {
  const { ec2, other } = splitEc2Nodes(ctx.nodes);
  if (other.length > 0) ctx.out.info(`not EC2 instances, skipped: ${foldNodeNames(other.map((n) => n.name))}`);
  const act: DustNode[] = [];
  const noop: DustNode[] = [];
  const skipped = new Map<string, DustNode[]>();
  for (const n of ec2) {
    const decision = t.plan(n.state);
    if (decision === 'act') act.push(n);
    else if (decision === 'noop') noop.push(n);
    else skipped.set(decision, [...(skipped.get(decision) ?? []), n]);
  }
  if (noop.length > 0) ctx.out.info(`nothing to do (already ${describeStates(noop)}): ${foldNodeNames(noop.map((n) => n.name))}`);
  for (const [reason, nodes] of skipped) ctx.out.info(`skipped (${reason}): ${foldNodeNames(nodes.map((n) => n.name))}`);
  if (act.length === 0) {
    if (ec2.length === 0) throw new DustError(ErrorCodes.TargetNoMatch, `${action}: no EC2 instance among the targeted nodes`, { hint: '`show` lists the nodes and their source' });
    return noop.length > 0;
  }

  const chalk = makeChalk(ctx.out.colorEnabled);
  const count = `${act.length} instance${act.length === 1 ? '' : 's'}`;
  if (act.length <= 20) ctx.out.print(renderNodeTable(act, { verbosity: 0, chalk, color: ctx.out.colorEnabled }));
  else ctx.out.print(`${count}: ${foldNodeNames(act.map((n) => n.name))}`);

  const bareStar = (ctx.target ?? '').trim() === '*';
  const mustAsk = ctx.flags['yes'] !== true || (t.destructive && bareStar);
  if (mustAsk) {
    let yes: boolean;
    try {
      yes = await ctx.prompt.confirm(`${t.verb} ${count}${bareStar ? ' (every node: *)' : ''}?`, false);
    } catch (err) {
      if (ctx.flags['yes'] === true && isDustError(err) && err.code === ErrorCodes.Usage) {
        throw new DustError(ErrorCodes.Usage, `${action} *: acting on every node always asks for confirmation, even with -y`, {
          hint: 'name the nodes instead (worker*, cluster=slurm1, 1-4) to do it from a script', cause: err,
        });
      }
      throw err;
    }
    if (!yes) {
      ctx.out.info('cancelled: nothing was changed');
      return true;
    }
  }

  const client = await requireEc2(ctx).client();
  const sdk = loadEc2Sdk();
  const ids = act.map(instanceIdOf);
  const names = new Map(act.map((n) => [instanceIdOf(n), n.name]));
  try {
    if (action === 'reboot') {
      await sendEc2(client, t.api, new sdk.RebootInstancesCommand({ InstanceIds: ids }));
      ctx.out.success(`rebooting ${foldNodeNames(act.map((n) => n.name))}`);
    } else {
      const command = action === 'start' ? new sdk.StartInstancesCommand({ InstanceIds: ids })
        : action === 'stop' ? new sdk.StopInstancesCommand({ InstanceIds: ids })
          : new sdk.TerminateInstancesCommand({ InstanceIds: ids });
      type Change = { InstanceId?: string; CurrentState?: { Name?: string }; PreviousState?: { Name?: string } };
      const out = await sendEc2<{ StartingInstances?: Change[]; StoppingInstances?: Change[]; TerminatingInstances?: Change[] }>(client, t.api, command);
      const changes = out.StartingInstances ?? out.StoppingInstances ?? out.TerminatingInstances ?? [];
      for (const c of changes) {
        const name = names.get(c.InstanceId ?? '') ?? c.InstanceId ?? '?';
        ctx.out.success(`${name}: ${c.PreviousState?.Name ?? '?'} → ${c.CurrentState?.Name ?? '?'}`);
      }
    }
  } finally {
    ctx.state.invalidate();
  }

  if (ctx.flags['wait'] === true && t.finalState) {
    return waitAndReport(ctx, client, act.map((n) => ({ id: instanceIdOf(n), name: n.name })), t.finalState, t.verb, wait);
  }
  return true;
}

function describeStates(nodes: readonly DustNode[]): string {
  return [...new Set(nodes.map((n) => n.state))].join('/');
}
