/**
 * The flags every command that runs a line on nodes shares (`at`, `gather`): how long a node may take, how much of
 * its output a result keeps, with or without a terminal, how many nodes at once and how many failures before the
 * rest are held back, a random canary subset, per-node output files, local input. Defaults come from the config's
 * `run:` section (and dust's own options, which set it: `dust --timeout`, `--no-pty`, `--fanout`, `--outdir`).
 */
import fs from 'node:fs';
import { randomInt } from 'node:crypto';
import type { CommandContext, DustNode, FlagSpec, RunOptions } from '../api.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { foldNodeNames } from '../../targets/index.js';
import { OutputDir } from '../../output/output-dir.js';

export const RUN_FLAGS: Readonly<Record<string, FlagSpec>> = {
  timeout: { type: 'string', short: 't', description: 'interrupt nodes still running after SECONDS and report them as timeout (0: no limit)' },
  'max-output': { type: 'string', description: 'lines of output each node\'s result keeps (the last ones; default 10000)' },
  'no-pty': { type: 'boolean', description: 'no terminal: one exec channel per command, stdout and stderr apart, no state kept (default with --json)' },
  pty: { type: 'boolean', description: 'the node\'s persistent shell even with --json (the default otherwise)' },
  fanout: { type: 'string', short: 'f', description: 'at most N nodes run it at once; the next starts as one finishes' },
  'max-errors': { type: 'string', description: 'once more than N nodes (or P% of them) failed, start it on no further node: the rest are skipped' },
  pick: { type: 'string', description: 'run on N nodes of the target picked at random (a canary)' },
  outdir: { type: 'string', path: 'directory', description: 'write each node\'s output to DIR/<node>.out (and .err without a PTY), and DIR/summary.json' },
  stdin: { type: 'string', path: 'file', description: 'send FILE to every node\'s command as its stdin (no-PTY mode)' },
};

/** The config's `run:` section (src/config/schema.ts). */
interface RunDefaults {
  timeout?: number;
  maxOutputLines?: number;
  pty?: boolean;
  fanout?: number;
  maxErrors?: number | string;
  outdir?: string;
}

/** Lines a result keeps with --outdir unless --max-output says otherwise: the files have all of it. */
const OUTDIR_KEPT = 100;

function positiveNumber(flag: string, value: string, integer: boolean, example: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new DustError(ErrorCodes.Usage, `--${flag}: '${value}' is not a ${integer ? 'whole number' : 'number of seconds'}`, { hint: `e.g. ${example}` });
  }
  return n;
}

/** `--max-errors 3` or `--max-errors 10%` (of the targeted nodes, rounded down, as SSM's MaxErrors). */
export function maxErrorsFor(value: number | string, nodeCount: number): number {
  const text = String(value).trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (percent) {
    const p = Number(percent[1]);
    if (p <= 100) return Math.floor((p / 100) * nodeCount);
  } else if (/^\d+$/.test(text)) {
    return Number(text);
  }
  throw new DustError(ErrorCodes.Usage, `--max-errors: '${text}' is not a number of nodes or a percentage`, { hint: 'e.g. --max-errors 0 (stop after the first failure), --max-errors 5, --max-errors 10%' });
}

/**
 * Run options from the command's flags, falling back to the config defaults; `noInput` when no one can answer.
 * `nodeCount`: how many nodes it runs on (after --pick), what a --max-errors percentage is of.
 */
export function runOptionsFrom(ctx: CommandContext, nodeCount = ctx.nodes.length): RunOptions {
  const defaults = (ctx.state.config['run'] ?? {}) as RunDefaults;
  const opts: RunOptions = { signal: ctx.signal };
  const t = ctx.flags['timeout'];
  const timeout = typeof t === 'string' ? positiveNumber('timeout', t, false, '--timeout 30, or --timeout 0 for no limit') : defaults.timeout;
  if (timeout !== undefined && timeout > 0) opts.timeoutMs = Math.round(timeout * 1000);
  const m = ctx.flags['max-output'];
  const max = typeof m === 'string' ? positiveNumber('max-output', m, true, '--max-output 50000') : defaults.maxOutputLines;
  if (max !== undefined && max > 0) opts.maxOutputLines = max;
  if (!ctx.interactive) opts.noInput = true;
  if (ctx.flags['pty'] === true && ctx.flags['no-pty'] === true) {
    throw new DustError(ErrorCodes.Usage, `${ctx.command}: --pty and --no-pty contradict each other`, { hint: 'give one of them' });
  }
  // The persistent shell unless asked otherwise; --json defaults to no PTY (stdout and stderr apart, no colours).
  const pty = ctx.flags['pty'] === true ? true : ctx.flags['no-pty'] === true ? false : defaults.pty;
  if (pty !== undefined) opts.pty = pty;
  else if (ctx.out.json) opts.pty = false;
  const f = ctx.flags['fanout'];
  const fanout = typeof f === 'string' ? positiveNumber('fanout', f, true, '--fanout 32') : defaults.fanout;
  if (fanout !== undefined && fanout > 0) opts.fanout = fanout;
  const e = ctx.flags['max-errors'];
  const maxErrors = typeof e === 'string' ? e : defaults.maxErrors;
  if (maxErrors !== undefined) opts.maxErrors = maxErrorsFor(maxErrors, nodeCount);
  const input = ctx.flags['stdin'];
  if (typeof input === 'string') {
    if (opts.pty === true && ctx.flags['pty'] === true) {
      throw new DustError(ErrorCodes.Usage, `${ctx.command}: --stdin needs no-PTY mode, and --pty asks for the terminal`, { hint: 'drop --pty: stdin reaches the nodes through an exec channel' });
    }
    let stat: fs.Stats | undefined;
    try { stat = fs.statSync(input); } catch { /* reported below */ }
    if (!stat?.isFile()) {
      throw new DustError(ErrorCodes.Usage, `--stdin: '${input}' ${stat ? 'is not a regular file' : 'does not exist'}`, { hint: 'give a local file whose bytes every node\'s command reads on its stdin' });
    }
    opts.stdin = () => fs.createReadStream(input);
    opts.pty = false;
  }
  return opts;
}

/**
 * The nodes to run on: `--pick N` takes N of the targeted nodes at random (uniformly, without repeats), kept in
 * inventory order, and says which on stderr.
 */
export function pickedNodes(ctx: CommandContext): readonly DustNode[] {
  const p = ctx.flags['pick'];
  if (typeof p !== 'string') return ctx.nodes;
  const n = positiveNumber('pick', p, true, '--pick 3');
  if (n < 1) throw new DustError(ErrorCodes.Usage, '--pick: pick at least 1 node', { hint: 'e.g. --pick 3' });
  if (n >= ctx.nodes.length) return ctx.nodes;
  const chosen = [...ctx.nodes];
  // Fisher-Yates on the first n places only.
  for (let i = 0; i < n; i++) {
    const j = i + randomInt(chosen.length - i);
    [chosen[i], chosen[j]] = [chosen[j]!, chosen[i]!];
  }
  const picked = new Set(chosen.slice(0, n));
  const nodes = ctx.nodes.filter((node) => picked.has(node));
  ctx.out.printErr(`picked ${n} of ${ctx.nodes.length} at random: ${foldNodeNames(nodes.map((node) => node.name))}`);
  return nodes;
}

/** `--outdir DIR` (or the `run.outdir` default): the directory, created, ready for this run's files; else undefined. */
export async function outputDirFrom(ctx: CommandContext, command: string, opts: RunOptions): Promise<OutputDir | undefined> {
  const flag = ctx.flags['outdir'];
  const dir = typeof flag === 'string' ? flag : ((ctx.state.config['run'] ?? {}) as RunDefaults).outdir;
  if (dir === undefined || dir === '') return undefined;
  // The files hold everything; the results in memory keep a short tail unless --max-output asks for more.
  if (typeof ctx.flags['max-output'] !== 'string') opts.maxOutputLines = Math.min(opts.maxOutputLines ?? OUTDIR_KEPT, OUTDIR_KEPT);
  return OutputDir.create(dir, command, (message) => ctx.out.warn(message));
}

/** RunOptions with the outdir's hooks added in front of the command's own. */
export function withOutputDir(opts: RunOptions, dir: OutputDir | undefined): RunOptions {
  if (!dir) return opts;
  const { onLine, onOutput, onResult } = opts;
  return {
    ...opts,
    onLine: (node, line) => { dir.line(node, line); onLine?.(node, line); },
    onOutput: (node, data, stream) => { dir.output(node, data, stream); onOutput?.(node, data, stream); },
    onResult: (result) => { dir.ended(result); onResult?.(result); },
  };
}
