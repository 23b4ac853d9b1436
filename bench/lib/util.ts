/** Small helpers shared by the benchmark parts: timing, medians, bounded concurrency, child processes. */
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';

export const now = (): number => performance.now();

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `task` for every item with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface ProcResult { code: number | null; stdout: string; stderr: string }

/** Runs a program to completion (no shell); kills it after `timeoutMs`. */
export function run(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; noOutput?: boolean } = {}): Promise<ProcResult> {
  return new Promise((resolve) => {
    // noOutput: for programs that fork a daemon keeping stdio open (`ssh -f`): wait for exit, not for EOF.
    const child = spawn(cmd, args, { stdio: opts.noOutput ? 'ignore' : ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    let stdout = '', stderr = '';
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (e) => { clearTimeout(t); resolve({ code: 127, stdout, stderr: stderr + String(e) }); });
    child.on(opts.noOutput ? 'exit' : 'close', (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
  });
}

/** Whether `cmd` is on PATH. */
export async function have(cmd: string): Promise<boolean> {
  return (await run('/bin/sh', ['-c', `command -v ${cmd}`])).code === 0;
}

/** A writable that drops everything (optionally looking at each chunk first). */
export function nullSink(onChunk?: (chunk: string) => void): Writable & { isTTY: false; columns: number } {
  const w = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _enc, cb) {
      onChunk?.(typeof chunk === 'string' ? chunk : chunk.toString());
      cb();
    },
  });
  return Object.assign(w, { isTTY: false as const, columns: 200 });
}

/** `node[0-9]` style folding is not needed: the harness names are node0..node<N-1>. */
export const nodeRange = (n: number): string => `node[0-${n - 1}]`;
