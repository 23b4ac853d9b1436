import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import type { Ec2EmulatorCore } from './core.js';
import { regionFromAuthorization, regionFromCredentialScope } from './sigv4.js';
import { renderEc2ErrorDocument } from './xml.js';
import { newRequestId } from './ids.js';
import { closeServer, listenOn } from '../../demo/listen.js';

export interface Ec2EmulatorServerOptions {
  core: Ec2EmulatorCore;
  /** Loopback only: `127.0.0.0/8`, `::1` or `localhost`. Default `127.0.0.1`. */
  host?: string;
  /** 0 = an ephemeral port. Default 0. */
  port?: number;
}

export interface Ec2EmulatorServer {
  /** `http://127.0.0.1:<port>` — use as the SDK `endpoint` or `AWS_ENDPOINT_URL_EC2`. */
  url: string;
  host: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Whether `host` is a loopback address or name. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === '::1' || /^::ffff:127\./i.test(bare);
}

/** EC2 Query bodies are small; refuse anything that cannot be one. */
const MAX_BODY_BYTES = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendXml(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, { ...headers, 'content-length': String(bytes.byteLength) });
  res.end(bytes);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  const requestId = newRequestId();
  sendXml(res, status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId }, renderEc2ErrorDocument(code, message, requestId));
}

async function serve(core: Ec2EmulatorCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  const method = (req.method ?? 'GET').toUpperCase();
  if (method !== 'POST' && method !== 'GET') {
    sendError(res, 405, 'UnsupportedHttpVerb', `The HTTP verb ${method} is not supported`);
    return;
  }
  const body = method === 'POST' ? await readBody(req) : url.search.slice(1);
  if (body === undefined) {
    sendError(res, 413, 'RequestEntityTooLarge', 'The request body is too large');
    return;
  }
  // The AWS CLI and SDKs POST form bodies; a query string on a POST is merged in for curl users.
  const combined = method === 'POST' && url.search.length > 1 ? `${url.search.slice(1)}&${body}` : body;
  const region =
    regionFromAuthorization(req.headers.authorization) ??
    regionFromCredentialScope(url.searchParams.get('X-Amz-Credential') ?? undefined);
  const result = core.handle({ body: combined, region });
  sendXml(res, result.status, result.headers, result.body);
}

/**
 * Serves an emulator core over HTTP on loopback (for `dust emulator`, the CLI integration tests and
 * other tools: `AWS_ENDPOINT_URL_EC2=<url>`). Refuses non-loopback hosts: the emulator has no
 * authentication and must never be reachable from the network.
 */
export async function startEc2EmulatorServer(options: Ec2EmulatorServerOptions): Promise<Ec2EmulatorServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) {
    throw new DustError(ErrorCodes.Usage, `The EC2 emulator only listens on loopback, not on ${host}`, {
      hint: 'use --host 127.0.0.1 (or another 127.x.x.x address, ::1 or localhost)',
    });
  }
  const { core } = options;
  const server = createServer((req, res) => {
    serve(core, req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'InternalError', err instanceof Error ? err.message : String(err));
      else res.destroy();
    });
  });
  const { port, urlHost } = await listenOn(server, host, options.port ?? 0);
  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    server,
    close: () => closeServer(server),
  };
}
