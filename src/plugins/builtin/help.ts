import type { CommandSpec, RegisteredCommand } from '../api.js';
import { makeChalk } from '../../output/style.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';

export const TARGETS_HELP = `Targets select nodes. No target (or *) means the working set (see \`use\`).
  1,3,4            indexes, as shown in the # column; ranges 2-5 or [2-5]. Stable: a node keeps its number
                   for the whole session, and a number is never given to another node
  worker*  wo?ker  names, glob, case-insensitive, whole name
  worker[0-12]     numeric ranges, zero padding kept: node[01-10,15]; several axes: rack[1-2]-node[1-3]
  key=value        any node property, wildcards in the value: state=run*  ip=10.0.1.*
  tags=env:dev     tags (split at the last colon; wildcards both sides); tags=env (no colon): any node with tag env
  annotation=x     annotations set by plugins (drained, gpu-bad)
  cluster=slurm1   cluster membership; a bare cluster name works too: slurm1
  last=failed      outcome in the last command that ran on nodes (ok, failed, unreachable, waiting, interrupted,
                   timeout, skipped);
  rc=2             its exit code. Re-run where it failed: @last=failed,last=unreachable <command>
  file:hosts.txt   the hosts listed in a file, one [user@]host[:port] per line (# comments; ranges expand);
                   a line naming no known node becomes a node of its own (source hostfile). !file:down.txt excludes
  a,b  a&b  a!b    union, intersection, difference;
  a^b              symmetric difference: in a or in b, not in both
                   One precedence, left to right, as in ClusterShell: a,b!c = (a,b)!c; !b = working set minus b
  ( )              grouping: web*,(db*&state=running)
Examples: @worker*&state=running uptime · show *!worker3 · @tags=env:prod!annotation=drained df -h · @file:~/hosts!file:~/down uptime`;

export const helpCommand: CommandSpec = {
  name: 'help',
  aliases: ['?'],
  usage: 'help [command|targets]',
  summary: 'list commands, or show the usage, help and examples of one',
  examples: ['help', 'help show', 'help @', 'help targets'],
  complete(ctx) {
    return ['targets', ...ctx.state.commands().map((c) => c.spec.name)].filter((w) => w.startsWith(ctx.word));
  },
  run(ctx) {
    const chalk = makeChalk(ctx.out.colorEnabled);
    const topic = ctx.positionals[0];
    const commands = ctx.state.commands();
    if (topic === undefined) {
      const visible = commands.filter((c) => !c.spec.fallback);
      // Long usages (assign's flags) get a line of their own so the summaries stay in one readable column.
      const width = Math.min(34, Math.max(...visible.map((c) => c.spec.usage.length)));
      const lines = visible.map((c) => (c.spec.usage.length > width
        ? `  ${c.spec.usage}\n  ${' '.repeat(width)}  ${chalk.dim(c.spec.summary)}`
        : `  ${c.spec.usage.padEnd(width)}  ${chalk.dim(c.spec.summary)}`));
      ctx.out.print([
        `dust ${ctx.state.version} — commands:`,
        ...lines,
        '',
        chalk.dim('Lines that are not commands run in the local shell. `help <command>` for details, `help targets` for the target language.'),
      ].join('\n'));
      return;
    }
    if (topic === 'targets' || topic === 'filters') {
      ctx.out.print(TARGETS_HELP);
      return;
    }
    const cmd = findCommand(commands, topic);
    if (!cmd) {
      throw new DustError(ErrorCodes.UnknownCommand, `help: no command '${topic}'`, { hint: 'help lists every command' });
    }
    ctx.out.print(describeCommand(cmd, chalk));
  },
};

function findCommand(commands: readonly RegisteredCommand[], word: string): RegisteredCommand | undefined {
  const w = word.toLowerCase();
  return commands.find((c) => c.spec.name.toLowerCase() === w || c.spec.prefix === word || (c.spec.aliases ?? []).some((a) => a.toLowerCase() === w));
}

function describeCommand(cmd: RegisteredCommand, chalk: ReturnType<typeof makeChalk>): string {
  const { spec } = cmd;
  const parts = [`${chalk.bold('usage:')} ${spec.usage}`, spec.summary];
  if (spec.aliases?.length) parts.push(`${chalk.bold('aliases:')} ${spec.aliases.join(', ')}`);
  if (spec.help) parts.push('', spec.help);
  const flags = Object.entries(spec.flags ?? {});
  if (flags.length) {
    parts.push('', chalk.bold('options:'));
    for (const [name, f] of flags) parts.push(`  ${f.short ? `-${f.short}, ` : ''}--${name}${f.type === 'boolean' ? '' : f.type === 'number' ? ' <number>' : ' <value>'}  ${f.description}`);
  }
  if (spec.target && spec.target.mode !== 'none') {
    parts.push('', `${chalk.bold('target:')} ${spec.target.mode}${spec.target.states ? ` (acts on ${spec.target.states.join('/')} nodes; others are named and skipped)` : ''} — see help targets`);
  }
  if (spec.examples?.length) parts.push('', chalk.bold('examples:'), ...spec.examples.map((e) => `  ${e}`));
  if (!cmd.plugin.startsWith('builtin')) parts.push('', chalk.dim(`from plugin ${cmd.plugin} (${cmd.source})`));
  return parts.join('\n');
}
