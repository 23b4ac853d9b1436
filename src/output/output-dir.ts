/**
 * `--outdir DIR` (clush --outdir/--errdir, pssh -o/-e): every node's output in its own file, written as it arrives
 * (nothing is collected in memory first), and a summary of the run beside them:
 *
 *   DIR/<node>.out     stdout (in the persistent shell: what the terminal showed, stdout and stderr merged)
 *   DIR/<node>.err     stderr (no-PTY mode only)
 *   DIR/summary.json   { command, pty, started, finished, nodes: [{ node, status, exitCode, durationMs,
 *                        stdoutBytes, stderrBytes, out, err?, error? }] }
 *
 * Without a PTY the files are byte-exact (raw channel data); in the shell they hold the lines dust recognised,
 * each ending in a newline. Every node of the run gets its files, empty when it printed nothing (or never ran: see
 * its status), so an earlier run's file is never mistaken for this one's. A file that cannot be written is said
 * once and the run goes on.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DustNode, NodeRunResult } from '../plugins/api.js';
import { DustError, formatError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

type Stream = 'out' | 'err';

interface NodeFiles {
  /** Raw channel bytes arrive for this node (no-PTY mode): lines are then not written a second time. */
  raw: boolean;
  /** Lines not yet handed to the file: one write per block, not per line (a 1 MB output is 10,000 lines). */
  lines: string[];
  lineChars: number;
  streams: Partial<Record<Stream, fs.WriteStream>>;
  bytes: Record<Stream, number>;
}

/** Characters of lines collected before they are written as one block. */
const LINE_BLOCK = 64 * 1024;

export interface OutputDirSummary {
  /** Path of summary.json. */
  file: string;
  nodes: number;
  bytes: number;
}

/** A node name as a file name: no path separators, no leading dot. */
export function fileBase(nodeName: string): string {
  return nodeName.replace(/[/\\\0]/g, '_').replace(/^\./, '_') || '_';
}

export class OutputDir {
  private readonly files = new Map<string, NodeFiles>();
  private readonly results: NodeRunResult[] = [];
  private readonly started = new Date();
  private warned = false;

  private constructor(readonly dir: string, private readonly command: string, private readonly warn: (message: string) => void) {}

  /** Creates DIR (and its parents) if needed; a path that cannot be a writable directory is the user's error. */
  static async create(dir: string, command: string, warn: (message: string) => void): Promise<OutputDir> {
    try {
      await fs.promises.mkdir(dir, { recursive: true });
      if (!(await fs.promises.stat(dir)).isDirectory()) throw new Error('not a directory');
      await fs.promises.access(dir, fs.constants.W_OK);
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code === 'EEXIST' || (err as NodeJS.ErrnoException).code === 'ENOTDIR'
        ? 'a file is in the way' : err instanceof Error ? err.message : String(err);
      throw new DustError(ErrorCodes.OutputDir, `--outdir ${dir}: ${reason}`, { hint: 'give a directory you can write to (it is created if missing)', cause: err });
    }
    return new OutputDir(dir, command, warn);
  }

  /** One line of the persistent shell's output (ignored where raw bytes arrive). */
  line(node: DustNode, line: string): void {
    const f = this.node(node);
    if (f.raw) return;
    f.lines.push(line);
    f.lineChars += line.length + 1;
    if (f.lineChars >= LINE_BLOCK) this.flushLines(node, f);
    else if (f.lines.length === 1) queueMicrotask(() => this.flushLines(node, f));
  }

  private flushLines(node: DustNode, f: NodeFiles): void {
    if (f.lines.length === 0) return;
    const block = `${f.lines.join('\n')}\n`;
    f.lines = [];
    f.lineChars = 0;
    this.write(node, f, 'out', block);
  }

  /** Raw bytes of stdout or stderr (no-PTY mode), written as they are. */
  output(node: DustNode, data: Buffer, stream: 'stdout' | 'stderr'): void {
    const f = this.node(node);
    f.raw = true;
    this.write(node, f, stream === 'stdout' ? 'out' : 'err', data);
  }

  /** The node's outcome: its files exist from now on (empty if it printed nothing). */
  ended(result: NodeRunResult): void {
    this.results.push(result);
    const f = this.node(result.node);
    this.flushLines(result.node, f);
    this.stream(result.node, f, 'out');
    if (result.stderr !== undefined || f.raw) this.stream(result.node, f, 'err');
  }

  /** Closes every file and writes summary.json. */
  async finish(): Promise<OutputDirSummary> {
    await Promise.all([...this.files.values()].flatMap((f) => Object.values(f.streams).map((s) => new Promise<void>((resolve) => {
      if (s.closed || s.destroyed) return resolve();
      s.end(() => resolve());
      s.once('error', () => resolve());
    }))));
    // In inventory order (results arrive as nodes finish).
    const ordered = [...this.results].sort((a, b) => a.node.index - b.node.index || (a.node.name < b.node.name ? -1 : a.node.name > b.node.name ? 1 : 0));
    const nodes = ordered.map((r) => {
      const f = this.files.get(r.node.name);
      const base = fileBase(r.node.name);
      return {
        node: r.node.name,
        status: r.status,
        exitCode: r.exitCode,
        durationMs: r.durationMs ?? null,
        stdoutBytes: f?.bytes.out ?? 0,
        stderrBytes: f?.bytes.err ?? 0,
        out: `${base}.out`,
        ...(f?.streams.err ? { err: `${base}.err` } : {}),
        ...(r.error ? { error: r.error } : {}),
      };
    });
    const file = path.join(this.dir, 'summary.json');
    const summary = {
      command: this.command,
      pty: !this.results.some((r) => r.stderr !== undefined),
      started: this.started.toISOString(),
      finished: new Date().toISOString(),
      nodes,
    };
    try {
      // Loaded here, not on start-up: only a run with --outdir writes a summary.
      const { default: writeFileAtomic } = await import('write-file-atomic');
      await writeFileAtomic(file, `${JSON.stringify(summary, null, 2)}\n`);
    } catch (err) {
      this.report(file, err);
    }
    return { file, nodes: nodes.length, bytes: nodes.reduce((sum, n) => sum + n.stdoutBytes + n.stderrBytes, 0) };
  }

  private node(node: DustNode): NodeFiles {
    let f = this.files.get(node.name);
    if (!f) {
      f = { raw: false, lines: [], lineChars: 0, streams: {}, bytes: { out: 0, err: 0 } };
      this.files.set(node.name, f);
    }
    return f;
  }

  private stream(node: DustNode, f: NodeFiles, which: Stream): fs.WriteStream {
    let s = f.streams[which];
    if (!s) {
      const file = path.join(this.dir, `${fileBase(node.name)}.${which}`);
      s = fs.createWriteStream(file);
      s.on('error', (err) => this.report(file, err));
      f.streams[which] = s;
    }
    return s;
  }

  private write(node: DustNode, f: NodeFiles, which: Stream, data: string | Buffer): void {
    f.bytes[which] += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    this.stream(node, f, which).write(data);
  }

  private report(file: string, err: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.warn(formatError(new DustError(ErrorCodes.OutputDir, `--outdir: cannot write ${file}: ${err instanceof Error ? err.message : String(err)}`, {
      hint: 'the run goes on; check the disk (space, permissions) and run it again',
    })));
  }
}
