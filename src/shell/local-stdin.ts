/**
 * dust's own stdin as input for the nodes' commands (pssh -I, clush's piped stdin): `tar c dir | dust -c '@web*
 * tar x -C /srv'`. Read once, the first time a line runs a command on nodes (a script of `show` lines never waits on
 * it), and handed to every node; small inputs stay in memory, large ones are spooled to a private temporary file
 * that each node reads on its own (nodes started later under --fanout still get every byte). Empty input (a
 * closed or /dev/null stdin, as under cron) is no input: lines then run as they would without it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunOptions } from '../plugins/api.js';

/** Above this, stdin is spooled to a file instead of held in memory. */
const IN_MEMORY_MAX = 8 * 1024 * 1024;

export type NodeInput = NonNullable<RunOptions['stdin']>;

export class LocalStdin {
  private loading: Promise<NodeInput | undefined> | undefined;
  private spoolDir: string | undefined;

  constructor(private readonly input: NodeJS.ReadableStream, private readonly tmpRoot = os.tmpdir()) {}

  /** The input for the nodes, read to its end on the first call; undefined when it was empty. */
  load(): Promise<NodeInput | undefined> {
    this.loading ??= this.read();
    return this.loading;
  }

  private async read(): Promise<NodeInput | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    let spool: fs.WriteStream | undefined;
    let file: string | undefined;
    for await (const chunk of this.input as AsyncIterable<Buffer | string>) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (!spool && size > IN_MEMORY_MAX) {
        this.spoolDir = fs.mkdtempSync(path.join(this.tmpRoot, 'dust-stdin-'));
        file = path.join(this.spoolDir, 'stdin');
        spool = fs.createWriteStream(file, { mode: 0o600 });
        for (const c of chunks.splice(0)) await write(spool, c);
      }
      if (spool) await write(spool, buf);
      else chunks.push(buf);
    }
    if (spool && file) {
      await new Promise<void>((resolve, reject) => spool.end((err?: Error | null) => (err ? reject(err) : resolve())));
      const spooled = file;
      return () => fs.createReadStream(spooled);
    }
    return size === 0 ? undefined : Buffer.concat(chunks);
  }

  /** Removes the spool file, if there is one (dust is leaving). */
  dispose(): void {
    if (this.spoolDir) fs.rmSync(this.spoolDir, { recursive: true, force: true });
    this.spoolDir = undefined;
  }
}

function write(stream: fs.WriteStream, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}
