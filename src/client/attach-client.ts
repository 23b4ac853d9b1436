/**
 * `dust attach`: the full interactive shell (line editing, history, Tab completion, Ctrl-C, raw `@node` with
 * resize, `!cmd` and put/get with this machine's files) against a running `dust serve`. Leaving (Ctrl-D, exit)
 * never stops the server; the prompt says it is attached: `[slurm1 @serve]$ `.
 */
import path from 'node:path';
import { TerminalOutput } from '../output/terminal-output.js';
import { InteractiveShell } from '../shell/interactive.js';
import { TerminalPrompter } from '../shell/prompter.js';
import { spawnLocal } from '../shell/local-run.js';
import type { ShellRuntime } from '../shell/runtime.js';
import {
  ClientNotifications, ClientRequests, ServerNotifications, ServerRequests,
  type CompleteResult, type ContextParams, type LocalRunParams, type LocalRunResult, type PromptParams, type PromptResult,
  type RunResult, type TerminalDataParams, type TerminalOpenResult, type WriteParams,
} from '../server/protocol.js';
import { isConnectionFailure, type ServerConnection } from './connection.js';

/** `[slurm1]$ ` → `[slurm1 @serve]$ `: the prompt says these lines run on the server. */
export function attachedPrompt(prompt: string): string {
  return prompt.replace(/^\[([^\],]*)/, '[$1 @serve');
}

export async function runAttached(server: ServerConnection, opts: { dustHome: string; color: boolean | undefined; verbose: boolean }): Promise<number> {
  const { conn } = server;
  const out = new TerminalOutput(process.stdout, process.stderr, { ...(opts.color === undefined ? {} : { color: opts.color }), debug: opts.verbose });
  let prompt = server.hello.prompt;
  let secretPending = false;
  let busy = false;
  let contextListener: (() => void) | undefined;
  let exitListener: (() => void) | undefined;
  let shell: InteractiveShell | undefined;
  const prompter = new TerminalPrompter(process.stdin, process.stdout, () => shell!.keyboard.borrow());

  conn.onNotification(ServerNotifications.write, ({ stream, data }: WriteParams) => out.writeRendered(stream, Buffer.from(data, 'base64')));
  conn.onNotification(ServerNotifications.context, (p: ContextParams) => {
    prompt = p.prompt;
    contextListener?.();
  });
  conn.onRequest(ServerRequests.prompt, async (p: PromptParams): Promise<PromptResult> => {
    if (p.kind === 'confirm') return { answer: await prompter.confirm(p.question, p.default === true) };
    if (p.kind === 'secret') return { answer: await prompter.secret(p.question) };
    return { answer: await prompter.ask(p.question, typeof p.default === 'string' ? { default: p.default } : {}) };
  });
  // The raw shell: this terminal in raw mode, keys to the server, the node's bytes straight to the screen.
  let closeTerminal: (() => void) | undefined;
  conn.onRequest(ServerRequests.terminalOpen, () => new Promise<TerminalOpenResult>((resolve) => {
    void shell!.withTerminal(async ({ input, output }) => {
      if (input.isTTY) input.setRawMode(true);
      const onKeys = (d: Buffer) => void conn.sendNotification(ClientNotifications.terminalInput, { data: d.toString('base64') });
      const onResize = () => void conn.sendNotification(ClientNotifications.resize, { columns: output.columns ?? 80, rows: output.rows ?? 24 });
      input.on('data', onKeys);
      output.on('resize', onResize);
      input.resume();
      const closed = new Promise<void>((r) => { closeTerminal = r; });
      resolve({ columns: output.columns ?? 80, rows: output.rows ?? 24 });
      await closed;
      input.off('data', onKeys);
      output.off('resize', onResize);
      input.pause();
    });
  }));
  conn.onNotification(ServerNotifications.terminalData, ({ data }: TerminalDataParams) => { process.stdout.write(Buffer.from(data, 'base64')); });
  conn.onRequest(ServerRequests.terminalClose, () => {
    closeTerminal?.();
    closeTerminal = undefined;
    return {};
  });
  conn.onRequest(ServerRequests.localRun, (p: LocalRunParams): Promise<LocalRunResult> => (p.captureStdout
    ? spawnLocal(p.command, { cwd: p.cwd, captureStdout: true })
    : shell!.withTerminal(() => spawnLocal(p.command, { cwd: p.cwd, captureStdout: false }))));
  process.stdout.on('resize', () => void conn.sendNotification(ClientNotifications.resize, { columns: process.stdout.columns ?? 80, rows: process.stdout.rows ?? 24 }));

  let lost: string | undefined;
  const finished = new Promise<number>((resolve) => {
    server.onGone((reason) => {
      lost = reason;
      // A status line the server drew may still be on the row: the message starts on a clean one.
      if (process.stdout.isTTY) process.stdout.write('\r\x1b[2K');
      out.error(`dust: ${reason}`);
      resolve(1);
    });
  });

  const runtime: ShellRuntime = {
    version: server.hello.server.version,
    historyFile: path.join(opts.dustHome, 'history'),
    historySize: 5000,
    promptText: () => attachedPrompt(prompt),
    complete: async (line) => {
      const r = await conn.sendRequest<CompleteResult>(ClientRequests.complete, { line });
      return [r.candidates, r.replaced];
    },
    answeringSecret: () => secretPending,
    runLine: async (line) => {
      busy = true;
      try {
        const r = await conn.sendRequest<RunResult>(ClientRequests.run, { line });
        prompt = r.prompt;
        secretPending = r.secretPending;
        if (r.exit) exitListener?.();
        return r.ok;
      } catch (err) {
        // Sent just as the server died: the line that says so comes from the gone handler.
        if (lost || isConnectionFailure(err)) return false;
        throw err;
      } finally {
        busy = false;
      }
    },
    interrupt: () => {
      if (!busy) return false;
      void conn.sendNotification(ClientNotifications.interrupt);
      return true;
    },
    onContextChange: (l) => { contextListener = l; },
    onExit: (l) => { exitListener = l; },
    shutdown: async () => { server.close(); },
  };
  const banner = `dust ${server.hello.server.version} — attached to the server on ${server.socketPath} (pid ${server.hello.server.pid}); `
    + 'Ctrl-D leaves, the server and its sessions stay';
  shell = new InteractiveShell(runtime, out, process.stdin, process.stdout, banner);
  return Promise.race([shell.run().then(() => 0), finished]);
}
