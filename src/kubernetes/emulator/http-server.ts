/**
 * The emulator over HTTPS on loopback, as kubectl and client-node expect an API server: bearer-token auth,
 * JSON (or server-side Table) answers, chunked watch streams, and exec upgraded to a WebSocket. SPDY upgrades
 * are refused with a 400 that says to use WebSockets.
 */
import { randomBytes } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Duplex } from 'node:stream';
import yaml from 'js-yaml';
import { WebSocketServer } from 'ws';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { isLoopbackHost } from '../../ec2/emulator/http-server.js';
import type { ExecProtocol } from '../exec-protocol.js';
import { type ApiRequestLogEntry, KubeEmulatorCore, type KubeEmulatorOptions } from './core.js';
import { emulatorTls, type EmulatorTls } from './certs.js';
import { apiGroupList, apiVersions, coreResourceList, versionInfo } from './discovery.js';
import { renderKubeconfig } from './kubeconfig.js';
import { KubeApiError, KubeErrors, type StatusJson } from './status.js';
import { podTable, wantsTable } from './table.js';
import { closeServer, listenOn } from '../../demo/listen.js';

export interface KubeEmulatorServerOptions {
  core: KubeEmulatorCore;
  /** Loopback only: `127.0.0.0/8`, `::1` or `localhost`. Default `127.0.0.1`. */
  host?: string;
  /** 0 = an ephemeral port. Default 0. */
  port?: number;
  /** Bearer token clients must send (default: 32 random bytes, hex). */
  token?: string;
  /** Cluster, user and context name in the kubeconfig. Default `dust-emulator`. */
  contextName?: string;
  /** Namespace of the kubeconfig's context. Default `default`. */
  namespace?: string;
  /** TLS identity to serve with (default: made now, memoised per host). The demo reuses one across runs. */
  tls?: EmulatorTls;
}

export interface KubeEmulatorServer {
  /** `https://127.0.0.1:<port>`. */
  url: string;
  host: string;
  port: number;
  token: string;
  /** PEM of the CA that signed the server certificate. */
  caCert: string;
  contextName: string;
  /** A kubeconfig (YAML) for this server: CA data, token, one context. Write it 0600: it holds the token. */
  kubeconfig: string;
  server: Server;
  core: KubeEmulatorCore;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** Paths anyone may read (the real server's `system:public-info-viewer`). */
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(bytes.byteLength), 'cache-control': 'no-cache, private' });
  res.end(bytes);
}

function sendStatus(res: ServerResponse, status: StatusJson): void {
  sendJson(res, status.code ?? 500, status);
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return reject(new KubeApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'));
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        const type = req.headers['content-type'] ?? '';
        resolve(/yaml/.test(type) ? yaml.load(text) : JSON.parse(text));
      } catch (err) {
        reject(KubeErrors.badRequest(`the body of the request could not be decoded: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`));
      }
    });
    req.on('error', reject);
  });
}

function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(header);
  if (!m) return false;
  const given = Buffer.from(m[1]?.trim() ?? '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && given.equals(wanted);
}

/** `/api/v1/namespaces/default/pods/web-0/exec` → its parts, or undefined for paths the emulator does not serve. */
type Route =
  | { kind: 'version' | 'api' | 'apis' | 'v1' | 'health' }
  | { kind: 'namespaces' }
  | { kind: 'namespace'; namespace: string }
  | { kind: 'pods'; namespace: string | undefined }
  | { kind: 'pod'; namespace: string; name: string }
  | { kind: 'exec'; namespace: string; name: string };

function route(pathname: string): Route | undefined {
  if (pathname === '/version' || pathname === '/version/') return { kind: 'version' };
  if (pathname === '/healthz' || pathname === '/livez' || pathname === '/readyz') return { kind: 'health' };
  if (pathname === '/api' || pathname === '/api/') return { kind: 'api' };
  if (pathname === '/apis' || pathname === '/apis/') return { kind: 'apis' };
  const parts = pathname.replace(/\/+$/, '').split('/').slice(1).map(decodeURIComponent);
  if (parts[0] !== 'api' || parts[1] !== 'v1') return undefined;
  const rest = parts.slice(2);
  if (rest.length === 0) return { kind: 'v1' };
  if (rest.length === 1 && rest[0] === 'pods') return { kind: 'pods', namespace: undefined };
  if (rest[0] !== 'namespaces') return undefined;
  if (rest.length === 1) return { kind: 'namespaces' };
  const namespace = rest[1] ?? '';
  if (rest.length === 2) return { kind: 'namespace', namespace };
  if (rest[2] !== 'pods') return undefined;
  if (rest.length === 3) return { kind: 'pods', namespace };
  const name = rest[3] ?? '';
  if (rest.length === 4) return { kind: 'pod', namespace, name };
  if (rest.length === 5 && rest[4] === 'exec') return { kind: 'exec', namespace, name };
  return undefined;
}

function verbOf(r: Route | undefined, method: string, watch: boolean): ApiRequestLogEntry['verb'] {
  if (!r) return 'other';
  switch (r.kind) {
    case 'pods': return method === 'POST' ? 'create' : watch ? 'watch' : 'list';
    case 'pod': return method === 'DELETE' ? 'delete' : 'get';
    case 'exec': return 'exec';
    case 'namespaces': return method === 'POST' ? 'create' : 'list';
    case 'namespace': return 'get';
    default: return 'discovery';
  }
}

function intParam(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw KubeErrors.badRequest(`invalid ${name} "${raw}": must be a non-negative integer`);
  return n;
}

function serveWatch(core: KubeEmulatorCore, req: IncomingMessage, res: ServerResponse, url: URL, namespace: string | undefined, table: boolean): void {
  const query = {
    namespace,
    labelSelector: url.searchParams.get('labelSelector') ?? undefined,
    fieldSelector: url.searchParams.get('fieldSelector') ?? undefined,
    resourceVersion: url.searchParams.get('resourceVersion') ?? undefined,
  };
  const timeoutSeconds = intParam(url, 'timeoutSeconds');
  // A bad selector is a 400, not an event: checked before the 200 goes out.
  core.checkSelectors(query.labelSelector, query.fieldSelector);
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache, private' });
  res.flushHeaders();
  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const end = (): void => {
    unsubscribe?.();
    unsubscribe = undefined;
    if (timer) clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };
  res.on('close', end);
  req.on('close', end);
  try {
    unsubscribe = core.watchPods(query, (event) => {
      // `kubectl get -w` asks for tables: each event then carries a one-row Table.
      const object = table ? podTable({ metadata: { resourceVersion: core.resourceVersion }, items: [event.object] }, core.clock.now()) : event.object;
      if (!res.writableEnded) res.write(`${JSON.stringify({ type: event.type, object })}\n`);
    });
  } catch (err) {
    // An expired resourceVersion is an ERROR event on an open watch, as the real server sends it.
    const status = err instanceof KubeApiError ? err.toStatus() : KubeErrors.internal(String(err)).toStatus();
    res.write(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
    end();
    return;
  }
  if (timeoutSeconds !== undefined && timeoutSeconds > 0) timer = setTimeout(end, timeoutSeconds * 1000);
}

async function serveRequest(core: KubeEmulatorCore, token: string, serverAddress: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
  const url = new URL(req.url ?? '/', 'https://emulator.invalid');
  const method = (req.method ?? 'GET').toUpperCase();
  const r = route(url.pathname);
  const watch = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
  if (!PUBLIC_PATHS.has(url.pathname) && !authorized(req, token)) throw KubeErrors.unauthorized();
  if (!r) throw KubeErrors.notFoundPath(`${method} ${url.pathname}`);
  const verb = verbOf(r, method, watch);
  if (verb !== 'discovery' && verb !== 'other') core.checkFault(verb);
  const table = wantsTable(req.headers.accept);
  const reply = (status: number, body: Record<string, unknown>): number => {
    sendJson(res, status, body);
    return status;
  };
  switch (r.kind) {
    case 'version': return reply(200, versionInfo());
    case 'health': {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return 200;
    }
    case 'api': return reply(200, apiVersions(serverAddress));
    case 'apis': return reply(200, apiGroupList());
    case 'v1': return reply(200, coreResourceList());
    case 'namespaces':
      if (method === 'GET') return reply(200, core.listNamespaces());
      if (method === 'POST') {
        const body = await readBody(req);
        const name = (body as { metadata?: { name?: unknown } } | undefined)?.metadata?.name;
        return reply(201, core.createNamespace(typeof name === 'string' ? name : ''));
      }
      throw KubeErrors.methodNotAllowed(method);
    case 'namespace':
      if (method === 'GET') return reply(200, core.getNamespace(r.namespace));
      throw KubeErrors.methodNotAllowed(method);
    case 'pods':
      if (method === 'GET' && watch) {
        serveWatch(core, req, res, url, r.namespace, table);
        return 200;
      }
      if (method === 'GET') {
        const list = core.listPods({
          namespace: r.namespace,
          labelSelector: url.searchParams.get('labelSelector') ?? undefined,
          fieldSelector: url.searchParams.get('fieldSelector') ?? undefined,
          limit: intParam(url, 'limit'),
          continueToken: url.searchParams.get('continue') ?? undefined,
        });
        return reply(200, table ? podTable(list, core.clock.now()) : list);
      }
      if (method === 'POST' && r.namespace !== undefined) {
        const body = await readBody(req);
        if (url.searchParams.get('dryRun') === 'All') {
          throw KubeErrors.badRequest('dryRun is not supported by the dust emulator');
        }
        return reply(201, core.createPod(r.namespace, body));
      }
      throw KubeErrors.methodNotAllowed(method);
    case 'pod':
      if (method === 'GET') {
        const pod = core.getPod(r.namespace, r.name);
        return reply(200, table ? podTable({ metadata: { resourceVersion: core.resourceVersion }, items: [pod] }, core.clock.now()) : pod);
      }
      if (method === 'DELETE') {
        const body = (await readBody(req)) as { gracePeriodSeconds?: unknown } | undefined;
        const fromBody = typeof body?.gracePeriodSeconds === 'number' ? body.gracePeriodSeconds : undefined;
        return reply(200, core.deletePod(r.namespace, r.name, { gracePeriodSeconds: fromBody ?? intParam(url, 'gracePeriodSeconds') }));
      }
      throw KubeErrors.methodNotAllowed(method);
    case 'exec':
      throw KubeErrors.badRequest('Upgrade request required: exec is served over WebSocket (v5.channel.k8s.io or v4.channel.k8s.io)');
    default:
      throw KubeErrors.notFoundPath(url.pathname);
  }
}

/** Answers a refused upgrade on the raw socket (no WebSocket yet): status line, Status JSON, close. */
function refuseUpgrade(socket: Duplex, status: StatusJson): void {
  const code = status.code ?? 400;
  const body = JSON.stringify(status);
  socket.end(
    `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function offeredProtocols(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
}

/**
 * Serves `core` over HTTPS on loopback with a fresh CA and token. Refuses non-loopback hosts: the emulator
 * runs commands on this machine for whoever holds the token.
 */
export async function startKubeEmulatorServer(options: KubeEmulatorServerOptions): Promise<KubeEmulatorServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) {
    throw new DustError(ErrorCodes.Usage, `The Kubernetes emulator only listens on loopback, not on ${host}`, {
      hint: 'use 127.0.0.1 (or another 127.x.x.x address, ::1 or localhost)',
    });
  }
  const { core } = options;
  await core.loadTerminals();
  const token = options.token ?? randomBytes(32).toString('hex');
  const tls = options.tls ?? emulatorTls(host);
  const server = createServer({ key: tls.key, cert: tls.cert });
  let serverAddress = host;
  const log = (entry: ApiRequestLogEntry): void => {
    core.requestLog.push(entry);
    if (core.requestLog.length > 1000) core.requestLog.splice(0, core.requestLog.length - 1000);
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://emulator.invalid');
    const verb = verbOf(route(url.pathname), (req.method ?? 'GET').toUpperCase(), ['true', '1'].includes(url.searchParams.get('watch') ?? ''));
    serveRequest(core, token, serverAddress, req, res).then(
      (status) => log({ verb, path: `${url.pathname}${url.search}`, status }),
      (err: unknown) => {
        const status = err instanceof KubeApiError ? err.toStatus() : KubeErrors.internal(err instanceof Error ? err.message : String(err)).toStatus();
        log({ verb, path: `${url.pathname}${url.search}`, status: status.code ?? 500 });
        if (!res.headersSent) sendStatus(res, status);
        else res.destroy();
      },
    );
  });

  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered) => core.execProtocols.find((p) => offered.has(p)) ?? false,
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const url = new URL(req.url ?? '/', 'https://emulator.invalid');
    const r = route(url.pathname);
    const entry = (status: number): void => log({ verb: 'exec', path: `${url.pathname}${url.search}`, status });
    const refuse = (err: KubeApiError): void => {
      entry(err.code);
      refuseUpgrade(socket, err.toStatus());
    };
    if (!authorized(req, token)) return refuse(KubeErrors.unauthorized());
    if (!r || r.kind !== 'exec') return refuse(KubeErrors.notFoundPath(url.pathname));
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
    try {
      core.checkFault('exec');
      // Checked before the protocol, as the real server does: kubectl retries a refused WebSocket over SPDY,
      // and the user must then read why the exec is impossible, not that SPDY is.
      const prepared = core.prepareExec(r.namespace, r.name, url.searchParams);
      if (upgrade.startsWith('spdy')) {
        throw KubeErrors.badRequest(
          'SPDY is not supported by the dust Kubernetes emulator: exec is served over WebSockets only (v5.channel.k8s.io, v4.channel.k8s.io); use kubectl 1.30 or newer (or KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true on 1.29)',
        );
      }
      if (upgrade !== 'websocket') throw KubeErrors.badRequest(`unsupported upgrade "${req.headers.upgrade ?? ''}": exec needs a WebSocket`);
      const offered = offeredProtocols(req);
      const protocol = core.execProtocols.find((p) => offered.includes(p)) as ExecProtocol | undefined;
      if (protocol === undefined) {
        throw KubeErrors.badRequest(`none of the offered subprotocols (${offered.join(', ') || 'none'}) is supported; this server speaks ${core.execProtocols.join(', ')}`);
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        entry(101);
        core.attachExec(ws, { ...prepared.plan, protocol }, prepared.runtime);
      });
    } catch (err) {
      refuse(err instanceof KubeApiError ? err : KubeErrors.internal(err instanceof Error ? err.message : String(err)));
    }
  });

  const { port, urlHost } = await listenOn(server, host, options.port ?? 0);
  serverAddress = `${urlHost}:${port}`;
  const url = `https://${urlHost}:${port}`;
  const contextName = options.contextName ?? 'dust-emulator';
  return {
    url,
    host,
    port,
    token,
    caCert: tls.caCert,
    contextName,
    kubeconfig: renderKubeconfig({ server: url, caCert: tls.caCert, token, name: contextName, namespace: options.namespace ?? 'default' }),
    server,
    core,
    close: () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      return closeServer(server);
    },
  };
}

/** A core and its server in one go; `close()` stops both (killing every pod process). */
export async function startKubeEmulator(
  options: KubeEmulatorOptions & Omit<KubeEmulatorServerOptions, 'core'> = {},
): Promise<KubeEmulatorServer> {
  const core = new KubeEmulatorCore(options);
  let server: KubeEmulatorServer;
  try {
    server = await startKubeEmulatorServer({ ...options, core });
  } catch (err) {
    await core.close();
    throw err;
  }
  return {
    ...server,
    close: async () => {
      await server.close();
      await core.close();
    },
  };
}
