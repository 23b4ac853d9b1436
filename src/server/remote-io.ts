/**
 * A connected client's I/O as the engine sees it: an Output that renders exactly as a local dust would for the
 * client's terminal and ships the bytes, a Prompter whose questions the client answers, and a terminal host that
 * borrows the client's terminal for raw shells and runs `!cmd` on the client's machine.
 */
import { PassThrough, Writable } from 'node:stream';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import type { Prompter } from '../plugins/api.js';
import type { TerminalHost } from '../shell/command-runner.js';
import type { LocalRunOptions, LocalRunResult } from '../shell/local-run.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import {
  ServerNotifications, ServerRequests,
  type ClientHello, type LocalRunParams, type PromptParams, type PromptResult, type TerminalOpenResult,
} from './protocol.js';

type Stream = Writable & { isTTY?: boolean; columns?: number; rows?: number };

/** A writable whose bytes go to the client's stdout or stderr. */
export function remoteStream(conn: MessageConnection, stream: 'stdout' | 'stderr', hello: ClientHello['client']): Stream {
  const w = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      // Queued on the connection at once, in order: the line's result (sent after) can never overtake its output.
      const data = (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk).toString('base64');
      conn.sendNotification(ServerNotifications.write, { stream, data }).catch(() => undefined);
      cb();
    },
  }) as Stream;
  w.isTTY = stream === 'stdout' ? hello.stdoutIsTTY : hello.stderrIsTTY;
  w.columns = hello.columns;
  w.rows = hello.rows;
  return w;
}

export class RemotePrompter implements Prompter {
  constructor(private readonly conn: MessageConnection, private readonly interactive: boolean) {}

  /** A question for the person at the client; a script client cannot answer, and says so in one line. */
  private request(params: PromptParams): Promise<string | boolean> {
    if (!this.interactive) {
      return Promise.reject(new DustError(ErrorCodes.Usage, `'${params.question}' needs an answer but this client is a script`, {
        hint: params.kind === 'confirm' ? 'pass -y to confirm in scripts, or answer from `dust attach`' : 'pass the value as an argument or flag, or answer from `dust attach`',
      }));
    }
    return this.conn.sendRequest<PromptResult>(ServerRequests.prompt, params).then((r) => r.answer);
  }

  async confirm(question: string, defaultYes?: boolean): Promise<boolean> {
    return (await this.request({ kind: 'confirm', question, ...(defaultYes === undefined ? {} : { default: defaultYes }) })) === true;
  }

  async ask(question: string, opts: { default?: string; validate?: (answer: string) => string | undefined } = {}): Promise<string> {
    let asked = question;
    for (let attempt = 0; attempt < 5; attempt++) {
      const answer = String(await this.request({ kind: 'ask', question: asked, ...(opts.default === undefined ? {} : { default: opts.default }) }));
      const problem = opts.validate?.(answer);
      if (!problem) return answer;
      asked = `${problem} — ${question}`;
    }
    throw new DustError(ErrorCodes.Usage, `no valid answer to '${question}'`);
  }

  async secret(question: string): Promise<string> {
    return String(await this.request({ kind: 'secret', question }));
  }
}

/**
 * The client's terminal, borrowed for a raw shell: keys arrive as notifications, output leaves as notifications.
 * A client that goes away while attached leaves it as Ctrl-C ×3 would (the session and its program are kept).
 */
export class RemoteTerminal implements TerminalHost {
  private input: (PassThrough & { isTTY?: boolean; isRaw?: boolean; setRawMode?(m: boolean): void }) | undefined;
  private output: Stream | undefined;

  constructor(private readonly conn: MessageConnection, private readonly hello: ClientHello['client']) {}

  async withTerminal<T>(fn: (io: { input: NodeJS.ReadStream; output: NodeJS.WriteStream }) => Promise<T>): Promise<T> {
    if (this.hello.kind !== 'attach') {
      throw new DustError(ErrorCodes.SessionBusy, 'a raw shell needs a terminal, and this client is a script', { hint: 'use `dust attach` for @node' });
    }
    if (this.input) throw new DustError(ErrorCodes.SessionBusy, 'this client already has a raw shell open');
    const size = await this.conn.sendRequest<TerminalOpenResult>(ServerRequests.terminalOpen, {});
    const input = Object.assign(new PassThrough(), { isTTY: true, isRaw: true, setRawMode: () => undefined });
    const conn = this.conn;
    const output = new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        const data = (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk).toString('base64');
        conn.sendNotification(ServerNotifications.terminalData, { data }).catch(() => undefined);
        cb();
      },
    }) as Stream;
    output.isTTY = true;
    output.columns = size.columns;
    output.rows = size.rows;
    this.input = input;
    this.output = output;
    try {
      return await fn({ input: input as unknown as NodeJS.ReadStream, output: output as unknown as NodeJS.WriteStream });
    } finally {
      this.input = undefined;
      this.output = undefined;
      await this.conn.sendRequest(ServerRequests.terminalClose, {}).catch(() => undefined);
    }
  }

  /** Keys from the client. */
  keys(data: Buffer): void {
    this.input?.write(data);
  }

  resize(columns: number, rows: number): void {
    if (!this.output) return;
    this.output.columns = columns;
    this.output.rows = rows;
    this.output.emit('resize');
  }

  /** The client went away: leave the raw shell as its user would, keeping the session and its program. */
  abandon(): void {
    this.input?.write('\x03\x03\x03');
  }

  runLocal(command: string, opts: LocalRunOptions): Promise<LocalRunResult> {
    const params: LocalRunParams = { command, cwd: opts.cwd, captureStdout: opts.captureStdout };
    return this.conn.sendRequest<LocalRunResult>(ServerRequests.localRun, params);
  }
}
