/**
 * devcluster's stream controls, in the shell: hide some nodes' output lines in this client (`mute`, `unmute`,
 * `solo`) and put a visible, timestamped separator into the output (`mark`). Muting is per client: results,
 * summaries and `last=` still count muted nodes, and the prompt says how many are muted.
 */
import type { CommandContext, CommandSpec } from '../api.js';
import { foldNodeNames } from '../../targets/index.js';
import { makeChalk } from '../../output/style.js';

function changed(ctx: CommandContext): boolean {
  const n = ctx.muted.size;
  ctx.out.info(n === 0 ? 'nothing muted: every node\'s output is shown' : `muted ${n}: ${foldNodeNames([...ctx.muted])} (unmute shows them again)`);
  return true;
}

export const muteCommand: CommandSpec = {
  name: 'mute',
  usage: 'mute <target>',
  summary: 'hide the output lines of some nodes in this shell (results and summaries still count them)',
  help: 'Lines printed by muted nodes, live or in the background, are not shown in this shell (other attached shells\n'
    + 'decide for themselves). Their failures still appear in the summary, and last= still selects them.',
  examples: ['mute worker[3-7]', 'mute tags=role:noisy'],
  target: { mode: 'required' },
  run(ctx) {
    for (const n of ctx.nodes) ctx.muted.add(n.name);
    return changed(ctx);
  },
};

export const unmuteCommand: CommandSpec = {
  name: 'unmute',
  usage: 'unmute [target]',
  summary: 'show muted nodes\' output again (all of them without a target)',
  examples: ['unmute', 'unmute worker3'],
  target: { mode: 'optional', emptyOk: true },
  run(ctx) {
    if (ctx.target === undefined) ctx.muted.clear();
    else for (const n of ctx.nodes) ctx.muted.delete(n.name);
    return changed(ctx);
  },
};

export const soloCommand: CommandSpec = {
  name: 'solo',
  usage: 'solo <target>',
  summary: 'show only these nodes\' output (mute every other node)',
  examples: ['solo worker3', 'solo last=failed'],
  target: { mode: 'required' },
  async run(ctx) {
    const keep = new Set(ctx.nodes.map((n) => n.name));
    ctx.muted.clear();
    for (const n of await ctx.state.nodes()) if (!keep.has(n.name)) ctx.muted.add(n.name);
    return changed(ctx);
  },
};

export const markCommand: CommandSpec = {
  name: 'mark',
  usage: 'mark [text]',
  summary: 'print a visible separator with the time, to find your place in long output',
  examples: ['mark', 'mark before the upgrade'],
  run(ctx) {
    const chalk = makeChalk(ctx.out.colorEnabled);
    const now = new Date();
    const time = now.toTimeString().slice(0, 8);
    const text = ctx.raw.trim();
    ctx.out.print(chalk.bold.inverse(`──── ${time}${text ? ` · ${text}` : ''} ────`));
    return true;
  },
};
