/**
 * `dust -c LINE…`, `dust run TARGET CMD…` and stdin scripts against a running `dust serve`: the lines run on the
 * server's warm sessions, output and `--json` records arrive exactly as without a server, and the exit status is
 * the same (0 only when every line succeeded; a command's own status, such as a submitted job's, passes through).
 */
import readline from 'node:readline';
import { ClientNotifications, ClientRequests, ProtocolErrors, ServerNotifications, ServerRequests, type LocalRunParams, type LocalRunResult, type RunResult } from '../server/protocol.js';
import { ResponseError } from 'vscode-jsonrpc/node';
import { isConnectionFailure, SERVER_GONE, writeToStdio, type ServerConnection } from './connection.js';
import { spawnLocal } from '../shell/local-run.js';

export async function runScriptOnServer(server: ServerConnection, lines: readonly string[], stdin: NodeJS.ReadableStream | undefined): Promise<number> {
  const { conn } = server;
  // First: a server that is gone already says so here, before anything is asked of its connection.
  server.onGone((reason) => {
    process.stderr.write(`dust: ${reason}\n`);
    process.exit(1);
  });
  conn.onNotification(ServerNotifications.write, writeToStdio);
  // A script has no terminal and nobody to answer: say so, the server turns it into the command's one-line error.
  conn.onRequest(ServerRequests.prompt, () => new ResponseError(ProtocolErrors.Refused, 'a script cannot answer questions'));
  conn.onRequest(ServerRequests.terminalOpen, () => new ResponseError(ProtocolErrors.Refused, 'a script has no terminal for a raw shell'));
  // `!cmd` of a script client runs here, on its stdio, in its directory.
  conn.onRequest(ServerRequests.localRun, (p: LocalRunParams) => spawnLocal(p.command, { cwd: p.cwd, captureStdout: p.captureStdout })
    .catch((): LocalRunResult => ({ exitCode: 127 })));
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
    // A dying server rejects the pending request before the socket's close is seen: give the close a moment to
    // say why (its handler prints the one line and exits), and say it here if it does not.
    if (isConnectionFailure(err)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      process.stderr.write(`dust: ${SERVER_GONE}\n`);
      return 1;
    }
    // The server refused the request itself: its message is the one line.
    process.stderr.write(`dust: ${(err as Error).message}\n`);
    return 1;
  } finally {
    server.close();
  }
  return status;
}
