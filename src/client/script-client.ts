/**
 * `dust -c LINE…`, `dust run TARGET CMD…` and stdin scripts against a running `dust serve`: the lines run on the
 * server's warm sessions, output and `--json` records arrive exactly as without a server, and the exit status is
 * the same (0 only when every line succeeded; a command's own status, such as a submitted job's, passes through).
 */
import readline from 'node:readline';
import { spawn } from 'node:child_process';
import { ClientNotifications, ClientRequests, ProtocolErrors, ServerNotifications, ServerRequests, type LocalRunParams, type LocalRunResult, type RunResult } from '../server/protocol.js';
import { ResponseError } from 'vscode-jsonrpc/node';
import { writeToStdio, type ServerConnection } from './connection.js';

export async function runScriptOnServer(server: ServerConnection, lines: readonly string[], stdin: NodeJS.ReadableStream | undefined): Promise<number> {
  const { conn } = server;
  let lost: string | undefined;
  // First: a server that is gone already says so here, before anything is asked of its connection.
  server.onGone((reason) => {
    lost = reason;
    process.stderr.write(`dust: ${reason}\n`);
    process.exit(1);
  });
  conn.onNotification(ServerNotifications.write, writeToStdio);
  // A script has no terminal and nobody to answer: say so, the server turns it into the command's one-line error.
  conn.onRequest(ServerRequests.prompt, () => new ResponseError(ProtocolErrors.Refused, 'a script cannot answer questions'));
  conn.onRequest(ServerRequests.terminalOpen, () => new ResponseError(ProtocolErrors.Refused, 'a script has no terminal for a raw shell'));
  conn.onRequest(ServerRequests.localRun, (p: LocalRunParams) => runHere(p));
  let running = false;
  process.on('SIGINT', () => {
    // Ctrl-C interrupts the running line (on the server, this client's only); twice, or between lines, leaves.
    if (!running) process.exit(130);
    void conn.sendNotification(ClientNotifications.interrupt);
    running = false;
  });
  let status = 0;
  const runOne = async (line: string): Promise<boolean> => {
    if (line.trim() === '' || line.trim().startsWith('#')) return true;
    running = true;
    const r = await conn.sendRequest<RunResult>(ClientRequests.run, { line });
    running = false;
    if (!r.ok) status = Math.max(status, r.status ?? 1);
    return !r.exit;
  };
  try {
    let go = true;
    for (const line of lines) if (!(go = await runOne(line))) break;
    if (go && stdin) {
      const rl = readline.createInterface({ input: stdin, crlfDelay: Infinity, terminal: false });
      for await (const line of rl) if (!(await runOne(line))) break;
    }
  } catch (err) {
    if (lost) return 1;
    // A dying server rejects the pending request before the socket's close is seen: give the close a moment to
    // say why (its handler prints the one line and exits), and say it here if it does not.
    if (!(err instanceof ResponseError)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (lost) return 1;
      process.stderr.write('dust: the server went away (stopped or killed); its sessions are gone\n');
      return 1;
    }
    throw err;
  } finally {
    server.close();
  }
  return status;
}

/** `!cmd` of a script client runs here, on its stdio, in its directory. */
function runHere(p: LocalRunParams): Promise<LocalRunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.env['SHELL_FOR_DUST'] ?? '/bin/sh', ['-c', p.command], { cwd: p.cwd, stdio: p.captureStdout ? ['inherit', 'pipe', 'inherit'] : 'inherit' });
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => chunks.push(d));
    child.on('error', () => resolve({ exitCode: 127 }));
    child.on('close', (status, signal) => {
      const exitCode = status ?? (signal ? 128 : 1);
      resolve(p.captureStdout ? { exitCode, stdout: Buffer.concat(chunks).toString('utf8') } : { exitCode });
    });
  });
}
