/**
 * One command on one node without a terminal (no-PTY mode): an exec channel on the node's connection, stdout and
 * stderr split into lines apart, stdin streamed from dust, and Ctrl-C / `--timeout` delivered as signals to the
 * command's process group (exec-protocol.ts explains why not through SSH's own signal request).
 */
import { StringDecoder } from 'node:string_decoder';
import { constants } from 'node:os';
import type { DustNode } from '../inventory/node.js';
import type { NodeRunResult, RunOptions } from '../plugins/api.js';
import { ErrorCodes } from '../errors/codes.js';
import { OutputTail } from './output-tail.js';
import { formatSeconds, toNodeFailure, type NodeFailure } from './node-failure.js';
import { execWrapper, killCommand, parsePidLine } from './exec-protocol.js';
import type { ExecProcess, Transport } from './transport.js';

export interface ExecRunOptions {
  /** Lines each of stdout and stderr keeps in the result (the last ones). */
  maxOutputLines: number;
  /** After each signal (SIGINT, then SIGTERM), how long the command may take to end before the next step. */
  interruptGraceMs: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  stdin?: RunOptions['stdin'];
  onLine?: RunOptions['onLine'];
  onStderr?: RunOptions['onStderr'];
  onOutput?: RunOptions['onOutput'];
}

/** Splits one stream into lines as it arrives (UTF-8 decoded across reads, CRLF endings taken as LF). */
class StreamLines {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  readonly tail: OutputTail;

  constructor(keep: number, private readonly deliver: (line: string) => void) {
    this.tail = new OutputTail(keep);
  }

  push(data: Buffer): void {
    const text = this.pending + this.decoder.write(data);
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', start)) >= 0) {
      this.line(text.slice(start, nl));
      start = nl + 1;
    }
    this.pending = text.slice(start);
  }

  /** The stream ended: a last line without a newline is still a line. */
  end(): void {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    if (rest !== '') this.line(rest);
  }

  private line(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    this.tail.push(line);
    this.deliver(line);
  }

  result(): { lines: string[]; truncated?: NonNullable<NodeRunResult['truncated']> } {
    const lines = this.tail.lines();
    return this.tail.dropped > 0 ? { lines, truncated: { dropped: this.tail.dropped, totalLines: this.tail.totalLines, digest: this.tail.digest() } } : { lines };
  }
}

/** A signal's conventional exit status (128 + its number), as a shell reports a command it killed. */
function signalStatus(name: string): number | null {
  const num = (constants.signals as Record<string, number | undefined>)[`SIG${name.replace(/^SIG/, '')}`];
  return num === undefined ? null : 128 + num;
}


/** Runs `command` on `node` through `transport.exec` (which must exist). Never throws: failures are results. */
export async function execOnNode(transport: Transport, node: DustNode, command: string, o: ExecRunOptions): Promise<NodeRunResult> {
  const exec = transport.exec!.bind(transport);
  let proc: ExecProcess;
  try {
    proc = await exec(node, { command: execWrapper(command), ...(o.stdin === undefined ? {} : { stdin: typeof o.stdin === 'function' ? o.stdin() : o.stdin }) });
  } catch (err) {
    return { node, status: 'unreachable', exitCode: null, output: [], stderr: [], error: toNodeFailure(err) };
  }

  const stdout = new StreamLines(o.maxOutputLines, (line) => o.onLine?.(node, line));
  const stderr = new StreamLines(o.maxOutputLines, (line) => o.onStderr?.(node, line));
  let pid: number | undefined;
  let stderrHead: Buffer | undefined = Buffer.alloc(0);
  proc.onStdout((data) => {
    o.onOutput?.(node, data, 'stdout');
    stdout.push(data);
  });
  proc.onStderr((data) => {
    if (stderrHead !== undefined) {
      // The wrapper's pid line comes first on stderr; everything after it is the command's.
      const head: Buffer = Buffer.concat([stderrHead, data]);
      const nl = head.indexOf(0x0a);
      if (nl < 0 && head.length < 256) { stderrHead = head; return; }
      stderrHead = undefined;
      const found = nl < 0 ? undefined : parsePidLine(head.subarray(0, nl).toString('latin1'));
      data = found === undefined ? head : head.subarray(nl + 1);
      if (found !== undefined) {
        pid = found;
        if (stopping && pendingSignal) sendNextSignal();
      }
      if (data.length === 0) return;
    }
    o.onOutput?.(node, data, 'stderr');
    stderr.push(data);
  });

  // Stopping: SIGINT to the process group, then SIGTERM, then give up and close the channel.
  let stopping = false as false | 'abort' | 'timeout';
  let exited = false;
  let gaveUp = false;
  let step = 0;
  let pendingSignal = false;
  let stepTimer: NodeJS.Timeout | undefined;
  const SIGNALS = ['INT', 'TERM'] as const;
  const giveUp = (): void => {
    if (exited) return;
    gaveUp = true;
    proc.interrupt();
  };
  const sendNextSignal = (): void => {
    if (exited) return;
    clearTimeout(stepTimer);
    const sig = SIGNALS[step];
    if (sig === undefined) return giveUp();
    if (pid === undefined) {
      // Still in the wrapper (sourcing the profile): the pid arrives in a moment; wait one grace period for it.
      pendingSignal = true;
      stepTimer = setTimeout(giveUp, o.interruptGraceMs);
      return;
    }
    pendingSignal = false;
    step++;
    // Its output is read (and dropped): some transports end a command only once its streams are drained.
    exec(node, { command: killCommand(pid, sig) }).then((k) => { k.onStdout(() => undefined); k.onStderr(() => undefined); return k.exit; }, () => undefined).catch(() => undefined);
    stepTimer = setTimeout(sendNextSignal, o.interruptGraceMs);
  };
  const stop = (why: 'abort' | 'timeout'): void => {
    if (stopping || exited) return;
    stopping = why;
    sendNextSignal();
  };
  const onAbort = (): void => stop('abort');
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) stop('abort');
  const timeoutTimer = o.timeoutMs !== undefined && o.timeoutMs > 0 ? setTimeout(() => stop('timeout'), o.timeoutMs) : undefined;

  const end = await proc.exit;
  exited = true;
  clearTimeout(stepTimer);
  clearTimeout(timeoutTimer);
  o.signal?.removeEventListener('abort', onAbort);
  if (stderrHead !== undefined && stderrHead.length > 0) {
    // Ended before a full first line: whatever it was, it is the command's (or the wrapper's complaint).
    o.onOutput?.(node, stderrHead, 'stderr');
    stderr.push(stderrHead);
  }
  stdout.end();
  stderr.end();
  const out = stdout.result();
  const err = stderr.result();
  const result: NodeRunResult = { node, status: 'ok', exitCode: null, output: out.lines, stderr: err.lines };
  // A cut in either stream is a cut: report the larger, with a fingerprint of both.
  if (out.truncated || err.truncated) {
    const t = [out.truncated, err.truncated].filter((x) => x !== undefined);
    result.truncated = { dropped: Math.max(...t.map((x) => x.dropped)), totalLines: Math.max(...t.map((x) => x.totalLines)), digest: t.map((x) => x.digest).join('') };
  }
  if (end.reason !== undefined && end.exitCode === null && end.signal === undefined && !gaveUp) {
    return { ...result, status: 'unreachable', error: { code: ErrorCodes.SshLost, message: end.reason, hint: 'the connection dropped while the command ran; the next command reconnects' } };
  }
  result.exitCode = end.exitCode ?? (end.signal === undefined ? null : signalStatus(end.signal));
  const stillThere = gaveUp ? ` it did not stop after SIGINT and SIGTERM and may still run on the node${pid === undefined ? '' : ` (pid ${pid})`}` : '';
  if (stopping === 'timeout') {
    const error: NodeFailure = { code: ErrorCodes.Timeout, message: `timed out after ${formatSeconds(o.timeoutMs ?? 0)} (interrupted)${stillThere ? `;${stillThere}` : ''}`, hint: 'raise it with --timeout, or 0 for none' };
    return { ...result, status: 'timeout', error };
  }
  if (stopping === 'abort') {
    return { ...result, status: 'interrupted', ...(gaveUp ? { error: { code: ErrorCodes.StillRunning, message: `interrupted:${stillThere}`, hint: 'stop it on the node (kill), or run it in the persistent shell where ^C reaches it through the terminal' } } : {}) };
  }
  return { ...result, status: result.exitCode === 0 ? 'ok' : 'failed' };
}
