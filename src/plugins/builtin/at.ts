import type { CommandContext, CommandSpec, DustNode, NodeRunResult, RunOptions } from '../api.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { foldNodeNames } from '../../targets/index.js';
import { makeChalk, nodeColor } from '../../output/style.js';
import { isSecretPrompt } from '../../sessions/secret-prompt.js';
import { describeFailure } from '../../sessions/node-failure.js';
import { isFailure } from '../../sessions/fan-out.js';
import path from 'node:path';
import { RUN_FLAGS, outputDirFrom, pickedNodes, runOptionsFrom, withOutputDir } from './run-flags.js';
import { fileBase } from '../../output/output-dir.js';
import { formatBytes } from '../../output/format-bytes.js';

/**
 * `@target cmd`: runs a line in the persistent shell of every targeted running node, streaming output as
 * `[name] line` (name coloured per node), then one summary line if anything did not succeed.
 * `@target` alone: raw shell on exactly one node.
 */
export const atCommand: CommandSpec = {
  name: 'at',
  aliases: ['atssh'],
  prefix: '@',
  usage: '@[target] [command]   (or: at [--timeout S] [--no-pty] [--fanout N] [--max-errors N|P%] [--pick N] [--outdir DIR] <target> <command>)',
  summary: 'run a command in the persistent shell of each target node; `@node` alone opens a raw shell',
  help: [
    'Each node keeps one shell: `cd`, exports and functions persist between commands.',
    'A command waiting for input returns to the prompt; answer it with `@node Y`.',
    'Ctrl-C interrupts the remote commands and keeps the sessions.',
    '`@node` with no command hands the terminal to that node; press Ctrl-C three times in a row to come back.',
    'Nodes waiting at a password prompt (sudo, su, a key passphrase): `@nodes` with no command reads the',
    'password once, without echo, and types it into each of them; it never reaches the screen or history.',
    'A node still waiting at a prompt stays `last=waiting`; a command aimed at it and at other nodes asks first.',
    '',
    'Shells: `su`, `sudo -i`, `sudo su -`, `bash`, `exec sh` start a shell on top of dust\'s; dust notices, says',
    '"now in a nested shell", and later commands run in it (as root after sudo -i). `@node exit` leaves it and',
    'says so; an `exit` in dust\'s own shell ends it with its exit status, and the next command starts a new shell',
    '(cwd restored) and says what was lost. Leaving `@node` while a full-screen program (vim, top) still runs',
    'restores your terminal and keeps the program; line mode on that node waits until it ends.',
    '',
    'The spelled-out form takes flags (their defaults: config run:, or dust --no-pty/--fanout/--outdir/...):',
    '  --timeout S, -t S     interrupt nodes still running after S seconds (status timeout, last=timeout)',
    '  --max-output N        lines each node\'s result keeps (default 10000; a cut is reported)',
    '  --no-pty              no terminal: one exec channel per command on the node\'s connection (clush, pdsh);',
    '                        stdout and stderr come apart ([node] lines on stdout and on stderr), no colours,',
    '                        NO persistent state (cd, exports are forgotten), stdin can be given. The default',
    '                        with --json; --pty asks for the persistent shell there.',
    '  --stdin FILE          send FILE to every node\'s command as its stdin (no-PTY mode); in scripts a piped',
    '                        stdin does the same: echo data | dust -c \'@web* wc -c\'',
    '  --fanout N, -f N      at most N nodes run it at once; the next starts as one finishes (clush -f)',
    '  --max-errors N|P%     once more than N nodes (P% of them) failed, start no further node: the rest are',
    '                        reported skipped (last=skipped picks them). Needs --fanout to hold any back.',
    '  --pick N              run on N nodes of the target picked at random (a canary, clush --pick)',
    '  --outdir DIR          each node\'s output into DIR/<node>.out (and .err without a PTY) as it arrives,',
    '                        a summary in DIR/summary.json; one line per node instead of the output',
    'In scripts (dust -c) commands get no stdin and a prompt fails the node instead of waiting.',
  ].join('\n'),
  examples: ['@worker* uptime', '@ cd /tmp', '@worker[1-3] sudo apt-get install htop', '@worker[1-3]  (at their sudo password prompt)', '@worker3', 'at --timeout 60 worker* make -j8',
    'at --fanout 5 --max-errors 1 web* systemctl restart nginx', 'at --pick 2 web* ./smoke-test', 'at --no-pty --outdir /tmp/logs * journalctl -u app --since today'],
  target: { mode: 'optional', states: ['running'] },
  remoteCommand: true,
  flags: RUN_FLAGS,
  async run(ctx) {
    warnSkipped(ctx);
    const raw = ctx.raw.trim();
    if (raw === '' && waitingForSecret(ctx)) return answerSecret(ctx);
    if (raw === '') return rawShell(ctx);
    if (ctx.nodes.length === 0) {
      ctx.out.warn('no running node to run on');
      return false;
    }
    const nodes = await leaveWaitingAlone(ctx, raw);
    if (nodes.length === 0) return false;
    return lineMode({ ...ctx, nodes }, raw);
  },
};

/**
 * A line for several nodes, some of which are still waiting at a prompt (an earlier command's `read`, `[y/N]`):
 * on those it would be typed into the waiting program as its answer. All waiting: that is what `@node Y` is for.
 * Some: ask on a terminal, and leave the waiting ones alone unless told otherwise (a script never types into them).
 */
async function leaveWaitingAlone(ctx: CommandContext, line: string): Promise<readonly DustNode[]> {
  const waiting = ctx.nodes.filter((n) => ctx.sessions.state(n) === 'waiting');
  if (waiting.length === 0 || waiting.length === ctx.nodes.length) return ctx.nodes;
  const names = foldNodeNames(waiting.map((n) => n.name));
  const prompts = [...new Set(waiting.map((n) => (ctx.sessions.waitingPrompt(n) ?? '').trim()).filter((p) => p !== ''))];
  const at = prompts.length === 1 ? ` at '${prompts[0]}'` : '';
  let answer = false;
  if (ctx.interactive && !(prompts.length > 0 && prompts.every(isSecretPrompt))) {
    answer = await ctx.prompt.confirm(`${names} still wait${waiting.length === 1 ? 's' : ''}${at}: type '${line}' into ${waiting.length === 1 ? 'it' : 'them'} as the answer?`, false)
      .catch(() => false);
  }
  if (answer) return ctx.nodes;
  ctx.out.warn(`left alone: ${names} (still waiting${at}; answer with @${names} <text>)`);
  const left = new Set(waiting);
  return ctx.nodes.filter((n) => !left.has(n));
}

/** One line naming the targeted nodes a running-only command left out. */
export function warnSkipped(ctx: CommandContext): void {
  if (ctx.skipped.length === 0) return;
  ctx.out.warn(`skipped ${ctx.skipped.length} not running: ${foldNodeNames(ctx.skipped.map((n) => n.name))}`);
}

async function rawShell(ctx: CommandContext): Promise<boolean> {
  if (ctx.nodes.length !== 1) {
    throw new DustError(
      ErrorCodes.RawShellTarget,
      ctx.nodes.length === 0
        ? 'a raw shell needs exactly one running node; the target matched none'
        : `a raw shell needs exactly one node; the target matched ${ctx.nodes.length}: ${foldNodeNames(ctx.nodes.map((n) => n.name))}`,
      { hint: 'name a single node (`@worker3`), or add a command to run on all of them (`@worker* uptime`)' },
    );
  }
  const node = ctx.nodes[0]!;
  ctx.out.info(`raw shell on ${node.name}: press Ctrl-C three times in a row to return to dust`);
  const outcome = await ctx.sessions.attach(node);
  if (outcome === 'detached') ctx.out.info(`back from ${node.name} (session kept)`);
  else if (outcome === 'exited') ctx.out.info(`${node.name}: shell exited, session closed`);
  else ctx.out.warn(`${node.name}: connection lost`);
  return outcome !== 'lost';
}

/** Every targeted node waits at a prompt that asks for a secret. */
function waitingForSecret(ctx: CommandContext): boolean {
  if (ctx.nodes.length === 0) return false;
  return ctx.nodes.every((n) => {
    const prompt = ctx.sessions.waitingPrompt(n);
    return prompt !== undefined && isSecretPrompt(prompt);
  });
}

/** Reads the password once, without echo, and types it into every targeted node's waiting program. */
async function answerSecret(ctx: CommandContext): Promise<boolean> {
  const names = foldNodeNames(ctx.nodes.map((n) => n.name));
  const prompts = new Set(ctx.nodes.map((n) => ctx.sessions.waitingPrompt(n)!.trim()));
  const asked = prompts.size === 1 ? [...prompts][0]!.replace(/:\s*$/, '') : 'password';
  const secret = await ctx.prompt.secret(`${asked} (for ${names}, not echoed)`);
  return lineMode(ctx, secret, { secret: true });
}

async function lineMode(ctx: CommandContext, command: string, runOpts: { secret?: boolean } = {}): Promise<boolean> {
  // A password typed for waiting nodes goes to exactly those, in their terminals, and nowhere else.
  const nodes = runOpts.secret ? ctx.nodes : pickedNodes(ctx);
  const base = runOptionsFrom({ ...ctx, nodes }, nodes.length);
  // A password, or an answer for nodes waiting at a prompt, is typed into their terminals: the persistent shell,
  // whatever the default mode (--json, run.pty), unless --no-pty was asked for on this very line.
  if (runOpts.secret || (base.pty === false && ctx.flags['no-pty'] !== true && base.stdin === undefined && nodes.some((n) => ctx.sessions.state(n) === 'waiting'))) base.pty = true;
  const outdir = runOpts.secret ? undefined : await outputDirFrom(ctx, command, base);
  warnUselessMaxErrors(ctx, base, nodes.length);
  const chalk = makeChalk(ctx.out.colorEnabled);
  const width = Math.max(...nodes.map((n) => n.name.length));
  // Built once per node: a chalk builder per printed line cost a fifth of the demux CPU on big outputs.
  const labels = new Map(nodes.map((n) => [n.name, nodeColor(chalk, n.name)(`[${n.name}]`.padEnd(width + 2))]));
  const label = (node: DustNode): string => labels.get(node.name) ?? `[${node.name}]`;
  const pending = new Set(nodes.map((n) => n.name));
  const started = Date.now();
  let failed = 0;
  let waiting = 0;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  // The status line: done/total, failures, nodes waiting for input, and which nodes take longest (with whoever
  // holds a node this line is queued behind: commands on a node run one after another).
  const progressText = (): string => {
    const done = nodes.length - pending.size;
    const parts = [`${done}/${nodes.length} done`];
    // A cold start of a thousand nodes takes a while: say how many sessions are still being opened.
    let connecting = 0;
    for (const name of pending) {
      const state = ctx.sessions.state(byName.get(name)!);
      if (state === 'connecting' || state === 'closed') connecting++;
    }
    if (connecting > 0) parts.push(`${connecting} connecting`);
    if (failed > 0) parts.push(`${failed} failed`);
    if (waiting > 0) parts.push(`${waiting} waiting`);
    const secs = Math.floor((Date.now() - started) / 1000);
    if (pending.size > 0 && pending.size <= 3) parts.push(`running: ${foldNodeNames([...pending])}${secs >= 2 ? ` (${secs}s)` : ''}`);
    else if (pending.size > 3 && secs >= 2) parts.push(`slowest: ${[...pending].slice(0, 3).join(', ')}… (${secs}s)`);
    const queued = [...pending].map((name) => [name, ctx.sessions.holder(byName.get(name)!)] as const).filter(([, h]) => h !== undefined && !h.self);
    if (queued.length > 0) parts.push(`waiting for ${foldNodeNames(queued.map(([n]) => n))} (held by ${queued[0]![1]!.owner}: ${queued[0]![1]!.command.slice(0, 30)})`);
    const muted = nodes.filter((n) => ctx.muted.has(n.name)).length;
    if (muted > 0) parts.push(`${muted} muted`);
    return parts.join(' · ');
  };
  const progress = ctx.out.progress(progressText());
  // Redrawn at most every PROGRESS_MS, and only on a terminal: folding 200 names each time one of 200 nodes
  // finished was quadratic. A slow refresh keeps the clock and the holders current while nothing finishes.
  let progressTimer: NodeJS.Timeout | undefined;
  const progressChanged = (): void => {
    if (!ctx.out.isTTY || progressTimer !== undefined || pending.size === 0) return;
    progressTimer = setTimeout(() => {
      progressTimer = undefined;
      if (pending.size > 0) progress.update(progressText());
    }, PROGRESS_MS);
  };
  const ticker = ctx.out.isTTY && !ctx.out.json ? setInterval(progressChanged, 1000) : undefined;
  const lines = new LineBatch((text) => ctx.out.print(text));
  const errLines = new LineBatch((text) => ctx.out.printErr(text));
  // With --json the output goes out in the node's record only; with --outdir into the files only.
  const live = !ctx.out.json && !outdir;
  const onResult = (result: NodeRunResult): void => {
    lines.flush();
    errLines.flush();
    const { node } = result;
    pending.delete(node.name);
    if (isFailure(result)) failed++;
    if (result.status === 'waiting') waiting++;
    if (result.notice) ctx.out.warn(`${label(node)} ${result.notice}`);
    if (result.status === 'unreachable') ctx.out.print(`${label(node)} ${chalk.red('✖')} ${result.error ? describeFailure(result.error) : 'unreachable'}`);
    // Why a node did not run or finish (busy terminal, a prompt no script can answer, a timeout), on its own line.
    // Skipped nodes are named together in the summary instead of one line each; a program still running after the
    // user's own ^C is named by the summary, which says what that means.
    else if (result.error && !(result.stillRunning && result.status === 'interrupted') && result.status !== 'skipped' && result.error.code !== 'DUST_SHELL_EXITED') ctx.out.print(`${label(node)} ${chalk.red('✖')} ${describeFailure(result.error)}`);
    if (outdir && result.status !== 'skipped' && result.status !== 'unreachable') ctx.out.print(`${label(node)} ${describeOutcome(result)} → ${path.join(outdir.dir, fileBase(node.name))}.out${result.stderr ? ' .err' : ''}`);
    if (ctx.out.json) ctx.out.record(resultRecord(runOpts.secret ? '(secret)' : command, result));
    progressChanged();
  };
  const results = await ctx.sessions.run(nodes, command, withOutputDir({
    ...base,
    ...runOpts,
    // A muted node's lines are not shown here (its result, summary and last= still count).
    ...(live ? {
      onLine: (n: DustNode, line: string) => { if (!ctx.muted.has(n.name)) lines.add(label(n), line); },
      onStderr: (n: DustNode, line: string) => { if (!ctx.muted.has(n.name)) errLines.add(label(n), line); },
    } : {}),
    onResult,
  }, outdir)).finally(() => {
    lines.flush();
    errLines.flush();
    clearTimeout(progressTimer);
    clearInterval(ticker);
    progress.done();
  });
  if (outdir) {
    const written = await outdir.finish();
    ctx.out.printErr(`output of ${written.nodes} node${written.nodes === 1 ? '' : 's'} (${formatBytes(written.bytes)}) in ${outdir.dir}; summary in ${written.file}`);
  }
  const summary = summarize(results, chalk.red('✖'));
  if (summary) ctx.out.print(summary);
  adviseRetry(ctx, results);
  return !anyFailed(results);
}

/** `ok`, `rc 3`, `timeout` … for the one line per node that --outdir prints instead of the output. */
function describeOutcome(r: NodeRunResult): string {
  if (r.status === 'ok' || r.status === 'failed') return `rc ${r.exitCode ?? '?'}`;
  return r.status;
}

/** --max-errors given on the line without a window: every node starts at once, so nothing can be held back. */
export function warnUselessMaxErrors(ctx: CommandContext, opts: RunOptions, nodeCount: number): void {
  if (typeof ctx.flags['max-errors'] === 'string' && opts.fanout === undefined && nodeCount > 1) {
    ctx.out.warn('--max-errors without --fanout: every node starts at once, so no node can be held back (add --fanout N)');
  }
}


/** A run failed when a node exited non-zero, timed out or could not be reached (waiting and interrupted are not failures). */
export function anyFailed(results: readonly NodeRunResult[]): boolean {
  return results.some(isFailure);
}

const PROGRESS_MS = 100;

/** The `--json` record of one node's result (one line of NDJSON on stdout). */
export function resultRecord(command: string, r: NodeRunResult): Record<string, unknown> {
  return {
    type: 'result', node: r.node.name, command, status: r.status, exitCode: r.exitCode, output: r.output,
    ...(r.stderr === undefined ? {} : { stderr: r.stderr }),
    ...(r.durationMs === undefined ? {} : { durationMs: r.durationMs }),
    ...(r.error === undefined ? {} : { error: r.error }),
    ...(r.stillRunning ? { stillRunning: true } : {}),
    ...(r.truncated === undefined ? {} : { truncated: r.truncated }),
    ...(r.notice === undefined ? {} : { notice: r.notice }),
  };
}

/** Sessions (ClusterState objects) that were already shown how to re-target failures: once is enough. */
const advised = new WeakSet<object>();

/** The first time a run leaves failed or unreachable nodes, says how to select exactly those again. */
export function adviseRetry(ctx: CommandContext, results: readonly NodeRunResult[]): void {
  const bad = (['failed', 'unreachable', 'timeout', 'skipped'] as const).filter((s) => results.some((r) => r.status === s));
  if (bad.length === 0 || typeof ctx.state !== 'object' || ctx.state === null || advised.has(ctx.state)) return;
  advised.add(ctx.state);
  ctx.out.info(`  target them again with @${bad.map((s) => `last=${s}`).join(',')} <command> (see help targets)`);
}

/**
 * Collects whole output lines and prints them as one block at the end of the current tick (one socket read
 * of one node, usually hundreds of lines), or sooner when the block grows large. Lines are only ever joined
 * whole, so no two nodes' lines can mix within a line; printing one block instead of a write per line is
 * what keeps `@* cat bigfile` from being bound by the terminal writer.
 */
export class LineBatch {
  private parts: string[] = [];
  private chars = 0;
  private scheduled = false;

  constructor(private readonly print: (block: string) => void, private readonly maxChars = 64 * 1024) {}

  /** Adds `label + ' ' + line` (kept apart until the block is joined: one copy per block, not per line). */
  add(label: string, line: string): void {
    // Print takes text without the final newline (it adds one), so lines are separated, not terminated.
    if (this.parts.length > 0) this.parts.push('\n');
    this.parts.push(label, ' ', line);
    this.chars += label.length + line.length + 2;
    if (this.chars >= this.maxChars) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => { this.scheduled = false; this.flush(); });
    }
  }

  /** Prints what is collected now (before anything else is printed, and when the run ends). */
  flush(): void {
    if (this.parts.length === 0) return;
    const block = this.parts.join('');
    this.parts = [];
    this.chars = 0;
    this.print(block);
  }
}

/**
 * One line naming the nodes that did not succeed, grouped and folded:
 * `✖ 2 failed: worker[3,7] (rc 1) · 1 unreachable: worker9 · 1 waiting for input: worker2`.
 * Empty when every node succeeded.
 */
export function summarize(results: readonly NodeRunResult[], mark = '✖'): string {
  const parts: string[] = [];
  const byRc = new Map<string, string[]>();
  for (const r of results) {
    if (r.status !== 'failed') continue;
    const rc = r.exitCode === null ? '?' : String(r.exitCode);
    // Appended in place: copying the list for every node made a run where 1,000 nodes failed alike quadratic.
    const names = byRc.get(rc);
    if (names) names.push(r.node.name);
    else byRc.set(rc, [r.node.name]);
  }
  for (const [rc, names] of [...byRc].sort((a, b) => Number(a[0]) - Number(b[0]))) {
    parts.push(`${names.length} failed: ${foldNodeNames(names)} (rc ${rc})`);
  }
  const group = (status: NodeRunResult['status'], label: string): void => {
    const names = results.filter((r) => r.status === status).map((r) => r.node.name);
    if (names.length > 0) parts.push(`${names.length} ${label}: ${foldNodeNames(names)}`);
  };
  group('unreachable', 'unreachable');
  const timedOut = results.filter((r) => r.status === 'timeout' && !r.stillRunning).map((r) => r.node.name);
  if (timedOut.length > 0) parts.push(`${timedOut.length} timed out: ${foldNodeNames(timedOut)}`);
  const timedOutRunning = results.filter((r) => r.status === 'timeout' && r.stillRunning).map((r) => r.node.name);
  if (timedOutRunning.length > 0) parts.push(`${timedOutRunning.length} timed out, still running after ^C: ${foldNodeNames(timedOutRunning)}`);
  const skipped = results.filter((r) => r.status === 'skipped');
  if (skipped.length > 0) {
    // One reason for all of them (--max-errors, or Ctrl-C before their turn): the first one's says it.
    const why = skipped[0]!.error?.message.replace(/^not sent: /, '');
    parts.push(`${skipped.length} skipped: ${foldNodeNames(skipped.map((r) => r.node.name))}${why ? ` (${why})` : ''}`);
  }
  group('waiting', 'waiting for input');
  // An interrupted program that did not stop still owns that node's terminal: say so, or the next `@node cmd`
  // would surprise (it is typed into that program).
  const stillRunning = results.filter((r) => r.status === 'interrupted' && r.stillRunning).map((r) => r.node.name);
  const ownedTerminals = results.filter((r) => r.stillRunning).map((r) => r.node.name);
  const stopped = results.filter((r) => r.status === 'interrupted' && !r.stillRunning).map((r) => r.node.name);
  if (stopped.length > 0) parts.push(`${stopped.length} interrupted: ${foldNodeNames(stopped)}`);
  if (stillRunning.length > 0) parts.push(`${stillRunning.length} still running after ^C: ${foldNodeNames(stillRunning)}`);
  if (parts.length === 0) return '';
  // Waiting or interrupted nodes are not failures: they get a neutral mark and the way forward.
  const bad = anyFailed(results);
  const waitingResults = results.filter((r) => r.status === 'waiting');
  const waiting = waitingResults.map((r) => r.node.name);
  // A program waiting for a password gets it from `@nodes` alone (read without echo), never as `@nodes <text>`.
  const secret = waitingResults.length > 0 && waitingResults.every((r) => isSecretPrompt(r.output.at(-1) ?? ''));
  const tips: string[] = [];
  if (waiting.length > 0) {
    tips.push(secret ? `type the password with @${foldNodeNames(waiting)} (no text: it is read without echo)`
      : `answer with @${foldNodeNames(waiting)} <text>`);
  }
  if (ownedTerminals.length > 0) {
    // A raw shell takes one node: name the first.
    const look = ownedTerminals.length === 1 ? `@${ownedTerminals[0]!} alone shows it` : `@${ownedTerminals[0]!} alone shows one`;
    tips.push(`${look}; a line sent there goes to that program`);
  }
  const tip = tips.length > 0 ? ` — ${tips.join('; ')}` : '';
  return `${bad ? mark : '…'} ${parts.join(' · ')}${tip}`;
}
