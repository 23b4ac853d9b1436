import type { TerminalOutput } from '../output/terminal-output.js';
import { ReplAdapter } from './node-repl-adapter.js';
import { KeyboardArbiter } from './keyboard-arbiter.js';
import { filterHistoryLine } from './history-filter.js';
import { HistoryFile } from '../state/history-file.js';
import type { ShellRuntime } from './runtime.js';

/**
 * The interactive shell: prompt, line editing, history, completion, Ctrl-C/Ctrl-D semantics.
 * Lines run one at a time in the order typed; output from background sessions is printed above
 * the prompt by TerminalOutput without disturbing what is being typed.
 */
export class InteractiveShell {
  private readonly adapter: ReplAdapter;
  private readonly history: HistoryFile;
  readonly keyboard: KeyboardArbiter;
  private readonly queue: string[] = [];
  private draining = false;
  private closing = false;
  private resolveDone: (() => void) | undefined;

  constructor(
    private readonly runtime: ShellRuntime,
    private readonly out: TerminalOutput,
    private readonly input: NodeJS.ReadStream,
    output: NodeJS.WriteStream,
    banner?: string,
  ) {
    const historySize = runtime.historySize;
    this.history = new HistoryFile(runtime.historyFile, historySize, (m) => out.warn(m));
    // Before the line editor starts: it draws its prompt at once.
    out.info(out.chalk.dim(banner ?? `dust ${runtime.version} — type help (or ?) for commands, Ctrl-D to leave`));
    this.adapter = new ReplAdapter({
      input,
      output,
      prompt: runtime.promptText(),
      completer: (line, cb) => {
        runtime.complete(line).then((r) => cb(null, r), () => cb(null, [[], line]));
      },
      onLine: (line) => this.enqueue(line),
      onInterrupt: () => this.interrupt(),
      onClose: () => void this.close(),
      historySize,
      filterHistory: (line) => filterHistoryLine(line, { answeringSecret: runtime.answeringSecret() }),
      history: this.history,
    });
    this.keyboard = new KeyboardArbiter(this.adapter, input, () => this.interrupt());
    out.attachPrompt(this.adapter);
    runtime.onContextChange(() => this.adapter.setPrompt(runtime.promptText()));
    runtime.onExit(() => void this.close());
  }

  /** Resolves when the user leaves (exit, quit, Ctrl-D). */
  async run(): Promise<void> {
    await this.adapter.loadHistory();
    this.adapter.showPrompt();
    return new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  /** Hands the terminal to `fn` in its normal (cooked) mode, e.g. for vim or a raw remote shell. */
  async withTerminal<T>(fn: (io: { input: NodeJS.ReadStream; output: NodeJS.WriteStream }) => Promise<T>): Promise<T> {
    const giveBack = this.keyboard.borrowTerminal();
    const wasRaw = this.input.isRaw;
    if (this.input.isTTY) this.input.setRawMode(false);
    this.input.pause();
    // In cooked mode Ctrl-C and Ctrl-\ signal the whole foreground process group: the local program
    // should get them, dust must not die of them.
    const ignore = (): void => undefined;
    process.on('SIGINT', ignore);
    process.on('SIGQUIT', ignore);
    // readline redraws its prompt on every terminal resize, paused or not: that would print `[dust]$` into
    // vim or into a remote raw shell. Its resize listeners sit out while someone else owns the terminal.
    const resizeListeners = process.stdout.listeners('resize') as ((...args: unknown[]) => void)[];
    for (const l of resizeListeners) process.stdout.off('resize', l);
    try {
      return await fn({ input: this.input, output: process.stdout });
    } finally {
      for (const l of resizeListeners) process.stdout.on('resize', l);
      process.off('SIGINT', ignore);
      process.off('SIGQUIT', ignore);
      if (this.input.isTTY) this.input.setRawMode(wasRaw);
      giveBack();
    }
  }

  private enqueue(line: string): void {
    this.queue.push(line);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    while (this.queue.length > 0 && !this.closing) {
      const line = this.queue.shift()!;
      if (line.trim() === '') continue;
      this.keyboard.setBusy(true);
      try {
        await this.runtime.runLine(line);
      } finally {
        this.keyboard.setBusy(false);
      }
    }
    this.draining = false;
    if (!this.closing) {
      this.adapter.setPrompt(this.runtime.promptText());
      this.adapter.showPrompt();
    }
  }

  private interrupt(): void {
    if (this.runtime.interrupt()) {
      this.queue.length = 0;
      return;
    }
    this.adapter.clearLine();
  }

  private async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.out.attachPrompt(undefined);
    try {
      await this.history.flush();
      await this.runtime.shutdown();
    } finally {
      this.adapter.close();
      this.resolveDone?.();
    }
  }
}
