/**
 * `dust serve`: one engine (sessions, plugins, inventory) held by a headless process, with any number of
 * clients on a unix socket. Each connection says hello, then becomes a DustClient of the engine: its own working
 * set, last results, Ctrl-C and output; the sessions are shared (devcluster's server/client split, without its
 * open TCP port: remote use goes through `ssh -L` to the socket).
 */
import fs from 'node:fs';
import net from 'node:net';
import { createMessageConnection, SocketMessageReader, SocketMessageWriter, ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import type { DustApp } from '../shell/app.js';
import type { DustClient } from '../shell/client.js';
import { TerminalOutput } from '../output/terminal-output.js';
import { complete } from '../shell/completer.js';
import { ensureSocketDirectory, probeSocket } from './socket-path.js';
import { RemotePrompter, RemoteTerminal, remoteStream } from './remote-io.js';
import {
  ClientNotifications, ClientRequests, PROTOCOL_VERSION, ProtocolErrors, ServerNotifications,
  type ClientHello, type CompleteParams, type CompleteResult, type ResizeParams, type RunParams, type RunResult,
  type ServerHello, type StatusResult, type TerminalDataParams,
} from './protocol.js';

export interface ServerLog {
  info(line: string): void;
  warn(line: string): void;
}

interface Connection {
  conn: MessageConnection;
  socket: net.Socket;
  client: DustClient | undefined;
  kind: string;
  terminal: RemoteTerminal | undefined;
  /** The client's stdout and stderr as the engine writes them (their size follows the client's terminal). */
  streams: { columns?: number; rows?: number }[];
  busy: string | undefined;
}

let counter = 0;

export class DustServer {
  private server: net.Server | undefined;
  private readonly connections = new Set<Connection>();
  readonly startedAt = Date.now();
  private closing = false;

  constructor(private readonly app: DustApp, readonly socketPath: string, private readonly log: ServerLog) {}

  /** Listens on the socket; refuses a live one, replaces a stale one. Throws one-line Errors. */
  async listen(): Promise<void> {
    ensureSocketDirectory(this.socketPath);
    const state = await probeSocket(this.socketPath);
    if (state === 'live') throw new Error(`a dust server already answers on ${this.socketPath} (dust status shows it; stop it first)`);
    if (state === 'stale') {
      fs.rmSync(this.socketPath, { force: true });
      this.log.info(`replaced a stale socket at ${this.socketPath}`);
    }
    const server = net.createServer((socket) => this.accept(socket));
    // The socket is created under umask 077: owner only, inside an owner-only directory.
    const old = process.umask(0o077);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.socketPath, () => { server.off('error', reject); resolve(); });
      });
    } finally {
      process.umask(old);
    }
    this.server = server;
  }

  /** Says goodbye to every client, closes the sessions and removes the socket. */
  async close(reason: string): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const c of this.connections) {
      await c.conn.sendNotification(ServerNotifications.bye, { reason }).catch(() => undefined);
      c.client?.close();
      c.socket.end();
    }
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    fs.rmSync(this.socketPath, { force: true });
    await this.app.shutdown();
  }

  status(): StatusResult {
    const now = Date.now();
    return {
      server: { version: this.app.engineState.version, pid: process.pid, socket: this.socketPath, startedAt: this.startedAt, ...(this.app.engineState.configFile ? { config: this.app.engineState.configFile } : {}) },
      clients: [...this.connections].filter((c) => c.client).map((c) => ({ label: c.client!.label, kind: c.kind, since: c.client!.connectedAt, busy: c.busy })),
      sessions: this.app.manager.list().map((s) => ({
        node: s.node.name, state: s.state, idleMs: s.idleSince === undefined ? undefined : now - s.idleSince, holder: s.holder,
      })),
    };
  }

  private accept(socket: net.Socket): void {
    const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
    const c: Connection = { conn, socket, client: undefined, kind: '?', terminal: undefined, streams: [], busy: undefined };
    this.connections.add(c);
    const needClient = (): DustClient => {
      if (!c.client) throw new ResponseError(ProtocolErrors.NoHello, 'say dust/hello first');
      return c.client;
    };
    conn.onRequest(ClientRequests.hello, (hello: ClientHello): ServerHello => this.hello(c, hello));
    conn.onRequest(ClientRequests.run, async ({ line }: RunParams): Promise<RunResult> => {
      const client = needClient();
      c.busy = line.slice(0, 60);
      try {
        const ok = await this.app.runScriptLine(client.runner, line);
        const status = client.runner.lastCommandStatus;
        return { ok, prompt: client.state.promptText(), exit: client.wantsExit, secretPending: client.sessions.anyWaitingForSecret(), ...(status !== undefined ? { status } : {}) };
      } finally {
        c.busy = undefined;
      }
    });
    conn.onRequest(ClientRequests.complete, async ({ line }: CompleteParams): Promise<CompleteResult> => {
      const [candidates, replaced] = await complete(line, this.app.registry, needClient().state, (name) => this.app.contributions.use(name));
      return { candidates, replaced };
    });
    conn.onRequest(ClientRequests.status, (): StatusResult => this.status());
    conn.onNotification(ClientNotifications.interrupt, () => { c.client?.runner.interrupt(); });
    conn.onNotification(ClientNotifications.resize, ({ columns, rows }: ResizeParams) => {
      c.terminal?.resize(columns, rows);
      for (const st of c.streams) Object.assign(st, { columns, rows });
    });
    conn.onNotification(ClientNotifications.terminalInput, ({ data }: TerminalDataParams) => c.terminal?.keys(Buffer.from(data, 'base64')));
    const gone = (): void => {
      if (!this.connections.delete(c)) return;
      // A client that vanished mid-command (SIGKILL, a closed laptop): its command is interrupted, a raw shell it
      // held is left as Ctrl-C ×3 would, and the sessions stay for everyone else.
      c.terminal?.abandon();
      if (c.client) {
        if (c.busy) this.log.info(`${c.client.label} went away during '${c.busy}': interrupted`);
        else this.log.info(`${c.client.label} left`);
        c.client.close();
      }
      conn.dispose();
    };
    conn.onClose(gone);
    socket.on('error', () => gone());
    socket.on('close', () => gone());
    conn.listen();
  }

  private hello(c: Connection, hello: ClientHello): ServerHello {
    if (hello.protocol !== PROTOCOL_VERSION) {
      throw new ResponseError(ProtocolErrors.VersionMismatch,
        `this dust server (${this.app.engineState.version}) speaks protocol ${PROTOCOL_VERSION}, the client speaks ${hello.protocol}: run the same dust version on both sides`);
    }
    if (c.client) return this.helloResult(c.client);
    const h = hello.client;
    c.kind = h.kind;
    const stdout = remoteStream(c.conn, 'stdout', h);
    const stderr = remoteStream(c.conn, 'stderr', h);
    c.streams = [stdout, stderr];
    const out = new TerminalOutput(stdout, stderr, { color: h.color, json: h.json, debug: h.verbose });
    c.terminal = new RemoteTerminal(c.conn, h);
    const label = `${h.kind}#${++counter}`;
    c.client = this.app.openClient({
      out, prompt: new RemotePrompter(c.conn, h.interactive), terminal: c.terminal, interactive: h.interactive, label, cwd: h.cwd,
      ...(h.timeout === undefined ? {} : { runDefaults: { timeout: h.timeout } }),
    });
    const client = c.client;
    client.state.onContextChange = () => void c.conn.sendNotification(ServerNotifications.context, { prompt: client.state.promptText() }).catch(() => undefined);
    if (h.kind !== 'status') this.log.info(`${label} attached (pid ${h.pid}, ${h.cwd})`);
    return this.helloResult(client);
  }

  private helloResult(client: DustClient): ServerHello {
    return {
      protocol: PROTOCOL_VERSION,
      server: { version: this.app.engineState.version, pid: process.pid, socket: this.socketPath, startedAt: this.startedAt },
      label: client.label,
      prompt: client.state.promptText(),
    };
  }
}
