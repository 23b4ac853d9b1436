import { createHash } from 'node:crypto';
import type { CommandSpec, NodeRunResult } from '../api.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { foldNodeNames } from '../../targets/index.js';
import { makeChalk } from '../../output/style.js';
type LineDiff = typeof import('../../output/line-diff.js');
import { adviseRetry, anyFailed, resultRecord, summarize, warnSkipped, warnUselessMaxErrors } from './at.js';
import { RUN_FLAGS, outputDirFrom, pickedNodes, runOptionsFrom, withOutputDir } from './run-flags.js';

/**
 * `gather <target> <command>`: the same persistent sessions as `@`, but the output is shown once per
 * distinct result, under the folded names of the nodes that produced it (clush -b / dshbak -c), so
 * 200 identical answers are one block and the odd node out stands out.
 */
export const gatherCommand: CommandSpec = {
  name: 'gather',
  aliases: ['dshbak'],
  usage: 'gather [--diff] [--timeout S] [--no-pty] [--fanout N] [--max-errors N|P%] [--pick N] [--outdir DIR] <target> <command>',
  summary: 'run a command like @, then show each distinct output once under the nodes that gave it',
  help: 'Runs the command in each node\'s persistent shell (state shared with @), waits for all, then groups\n'
    + 'identical results (output and exit status): the largest group first, each headed by its folded node\n'
    + 'names. Use * as the target for the whole working set.\n'
    + '--diff shows the largest group in full and every other one as a unified diff against it (clush --diff).\n'
    + 'Each result keeps the last --max-output lines (default 10000); a cut is shown in the heading, and outputs\n'
    + 'are compared whole (by fingerprint), so two that differ only in the cut part are never grouped.\n'
    + 'It takes the flags of `at` (help at): --no-pty runs it without a terminal, and then stdout is grouped and\n'
    + 'stderr shown apart, grouped the same way (clush -B); --fanout, --max-errors, --pick, --outdir, --stdin.',
  examples: ['gather * uname -r', 'gather worker* md5sum /etc/hosts', 'gather --diff * cat /etc/hosts', 'gather --no-pty * systemctl is-active app'],
  flags: { diff: { type: 'boolean', short: 'd', description: 'show the other results as diffs against the largest group' }, ...RUN_FLAGS },
  target: { mode: 'required', states: ['running'] },
  remoteCommand: true,
  async run(ctx) {
    const command = ctx.raw.trim();
    if (command === '') throw new DustError(ErrorCodes.Usage, 'gather: which command?', { hint: `usage: ${gatherCommand.usage}` });
    warnSkipped(ctx);
    const nodes = pickedNodes(ctx);
    const opts = runOptionsFrom({ ...ctx, nodes }, nodes.length);
    const outdir = await outputDirFrom(ctx, command, opts);
    warnUselessMaxErrors(ctx, opts, nodes.length);
    const chalk = makeChalk(ctx.out.colorEnabled);
    const progress = ctx.out.progress(`running on ${nodes.length}: ${foldNodeNames(nodes.map((n) => n.name))}`);
    const results = await ctx.sessions.run(nodes, command, withOutputDir(opts, outdir)).finally(() => progress.done());
    if (outdir) {
      const written = await outdir.finish();
      ctx.out.printErr(`output of ${written.nodes} node${written.nodes === 1 ? '' : 's'} in ${outdir.dir}; summary in ${written.file}`);
    }
    if (ctx.out.json) {
      // Grouping is for reading; a script gets every node's result and groups as it likes.
      for (const r of results) ctx.out.record(resultRecord(command, r));
      const summary = summarize(results);
      if (summary) ctx.out.print(summary);
      return !anyFailed(results);
    }
    // Unreachable and skipped nodes printed nothing: they are named in the summary line.
    const ran = results.filter((r) => r.status !== 'unreachable' && r.status !== 'skipped');
    const ordered = groupResults(ran, (r) => r.output, r => (r.truncated ? `cut:${r.truncated.digest}` : undefined), true);
    const reference = ordered[0]?.[0];
    const referenceNames = ordered[0] ? foldNodeNames(ordered[0].map((r) => r.node.name)) : '';
    for (const [k, group] of ordered.entries()) {
      const first = group[0]!;
      const cut = first.truncated ? ` · last ${first.output.length} of ${first.truncated.totalLines} lines` : '';
      const status = `${first.status === 'ok' ? '' : ` · ${first.status}${first.exitCode === null ? '' : ` rc ${first.exitCode}`}`}${cut}`;
      const names = foldNodeNames(group.map((r) => r.node.name));
      if (ctx.flags['diff'] === true && k > 0 && reference) {
        ctx.out.print(chalk.bold(`── ${names} (${group.length})${status} ── diff against ${referenceNames}`));
        // jsdiff is loaded for --diff only: no prompt needs it.
        ctx.out.print(diffText(await import('../../output/line-diff.js'), reference.output, first.output, chalk));
        continue;
      }
      ctx.out.print(chalk.bold(`── ${names} (${group.length})${status} ──`));
      ctx.out.print(first.output.length > 0 ? first.output.join('\n') : chalk.dim('(no output)'));
    }
    if (ordered.length > 1) ctx.out.info(chalk.dim(`${ordered.length} distinct results`));
    // Without a PTY stderr came apart: each distinct stderr once, under the nodes that printed it (clush -B).
    const withStderr = ran.filter((r) => r.stderr !== undefined && r.stderr.length > 0);
    for (const group of groupResults(withStderr, (r) => r.stderr ?? [], () => undefined, false)) {
      ctx.out.printErr(chalk.bold(`── ${foldNodeNames(group.map((r) => r.node.name))} (${group.length}) stderr ──`));
      ctx.out.printErr(group[0]!.stderr!.join('\n'));
    }
    const summary = summarize(results, chalk.red('✖'));
    if (summary) ctx.out.print(summary);
    adviseRetry(ctx, results);
    return !anyFailed(results);
  },
};

/**
 * Groups results with identical `lines` (and, with `byStatus`, identical status and exit code), largest group
 * first. `cutKey` replaces the lines for a cut output: outputs are then compared by the fingerprint of all of it.
 */
function groupResults(results: readonly NodeRunResult[], lines: (r: NodeRunResult) => readonly string[], cutKey: (r: NodeRunResult) => string | undefined, byStatus: boolean): NodeRunResult[][] {
  const groups = new Map<string, NodeRunResult[]>();
  for (const r of results) {
    const body = cutKey(r) ?? lines(r).join('\n');
    const key = createHash('sha1').update(byStatus ? `${r.status}\0${r.exitCode}\0${body}` : body).digest('hex');
    const group = groups.get(key);
    if (group) group.push(r); // in place: a copy per node made 1,000 identical answers quadratic
    else groups.set(key, [r]);
  }
  return [...groups.values()].sort((a, b) => b.length - a.length);
}

/** A group's output as a unified diff against the reference group's, coloured like `diff -u --color`. */
function diffText({ MAX_EDITS, unifiedDiff }: LineDiff, reference: readonly string[], output: readonly string[], chalk: ReturnType<typeof makeChalk>): string {
  const hunks = unifiedDiff(reference, output);
  if (hunks === undefined) {
    // So different that a diff would be longer than the output: show the output itself.
    return `${chalk.dim(`(differs in more than ${MAX_EDITS} lines: shown in full)`)}\n${output.length > 0 ? output.join('\n') : chalk.dim('(no output)')}`;
  }
  // Equal output in another group means only the exit status differs (already in the heading).
  if (hunks.length === 0) return chalk.dim('(same output)');
  return hunks.map((l) => (l.startsWith('@@') ? chalk.cyan(l) : l.startsWith('-') ? chalk.red(l) : l.startsWith('+') ? chalk.green(l) : l)).join('\n');
}
