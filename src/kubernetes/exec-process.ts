import { Readable } from 'node:stream';
import type { ExecProcess } from '../sessions/transport.js';
import { exitFromStatus } from './exec-protocol.js';
import { explainLoss, type PodLookup, type StartedCommand } from './exec-start.js';

type Exit = Awaited<ExecProcess['exit']>;

/** Said when a v4 server made dust end the whole stream to end stdin. */
export const V4_STDIN_REASON =
  'the API server speaks v4.channel.k8s.io, which cannot close stdin on its own: dust ended the stream after the last byte, so the exit status is unknown';

/**
 * One command without a terminal: stdout and stderr apart, stdin streamed and then closed (a v5 close frame; on
 * v4 the only way to signal EOF is to end the stream, which loses the exit status), `interrupt()` ends the
 * stream (the server hangs the command up: exec without a TTY cannot deliver a signal).
 */
export class KubeExecProcess implements ExecProcess {
  readonly exit: Promise<Exit>;
  private readonly out: { listener: ((d: Buffer) => void) | undefined; pending: Buffer[] } = { listener: undefined, pending: [] };
  private readonly err: { listener: ((d: Buffer) => void) | undefined; pending: Buffer[] } = { listener: undefined, pending: [] };
  private interrupted = false;
  private endedForV4 = false;

  constructor(
    private readonly started: StartedCommand,
    lookup: PodLookup,
    stdin: NodeJS.ReadableStream | Buffer | string | undefined,
    signal: AbortSignal | undefined,
  ) {
    this.exit = new Promise<Exit>((resolve) => {
      started.attach({
        onStdout: (d) => this.deliver(this.out, d),
        onStderr: (d) => this.deliver(this.err, d),
        onEnd: (end) => {
          if (end.status) {
            const outcome = exitFromStatus(end.status);
            resolve('exitCode' in outcome ? { exitCode: outcome.exitCode } : { exitCode: null, reason: `exec failed: ${outcome.error}` });
          } else if (this.interrupted || (end.byUs && !this.endedForV4)) {
            resolve({ exitCode: null, reason: 'interrupted: the exec stream was closed' });
          } else if (this.endedForV4) {
            resolve({ exitCode: null, reason: V4_STDIN_REASON });
          } else {
            void explainLoss(end, started.ref, lookup).then((reason) => resolve({ exitCode: null, reason }));
          }
        },
      });
    });
    if (signal) {
      if (signal.aborted) this.interrupt();
      else signal.addEventListener('abort', () => this.interrupt(), { once: true });
    }
    if (stdin !== undefined) this.pump(stdin);
  }

  onStdout(listener: (data: Buffer) => void): void {
    this.listen(this.out, listener);
  }

  onStderr(listener: (data: Buffer) => void): void {
    this.listen(this.err, listener);
  }

  interrupt(): void {
    this.interrupted = true;
    this.started.socket.close();
  }

  private listen(target: { listener: ((d: Buffer) => void) | undefined; pending: Buffer[] }, listener: (data: Buffer) => void): void {
    target.listener = listener;
    for (const chunk of target.pending.splice(0)) listener(chunk);
  }

  private deliver(target: { listener: ((d: Buffer) => void) | undefined; pending: Buffer[] }, data: Buffer): void {
    if (target.listener) target.listener(data);
    else target.pending.push(data);
  }

  private endStdin(): void {
    if (this.started.socket.closeStdin()) return;
    if (this.started.socket.isOpen) {
      this.endedForV4 = true;
      this.started.socket.close();
    }
  }

  /** Sends stdin at the pace the socket takes it (one chunk in flight), then closes it. */
  private pump(stdin: NodeJS.ReadableStream | Buffer | string): void {
    const socket = this.started.socket;
    if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) {
      const bytes = typeof stdin === 'string' ? Buffer.from(stdin) : stdin;
      if (bytes.length > 0) socket.writeStdin(bytes);
      this.endStdin();
      return;
    }
    const readable = stdin instanceof Readable ? stdin : Readable.from(stdin as AsyncIterable<Buffer>);
    readable.on('data', (chunk: Buffer | string) => {
      readable.pause();
      socket.writeStdin(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, (err) => {
        if (err) readable.destroy();
        else readable.resume();
      });
    });
    readable.on('end', () => this.endStdin());
    readable.on('error', () => this.interrupt());
  }
}
