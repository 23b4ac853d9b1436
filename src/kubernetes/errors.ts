/**
 * Turning what client-node, ws and the API server throw into one line with a stable code. The server's
 * `Status` message is the most precise text there is (`pods "web-0" not found`), so it is kept when present.
 */
import { DustError, isDustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

/** An HTTP answer from the API server: status code and, when the body was a `v1.Status`, its fields. */
export class KubeHttpError extends Error {
  override readonly name = 'KubeHttpError';

  constructor(
    readonly statusCode: number,
    message: string,
    readonly reason: string | undefined,
  ) {
    super(message);
  }
}

const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);
const TLS = /certificate|self[- ]signed|SSL|TLS|unable to verify|CERT_|ERR_TLS/i;

interface StatusLike {
  message?: unknown;
  reason?: unknown;
  code?: unknown;
}

/** The `v1.Status` inside an error body (a string of JSON or an object), if there is one. */
function statusOf(body: unknown): StatusLike | undefined {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null ? (value as StatusLike) : undefined;
}

/** The HTTP status and server message of an error from client-node's API classes or from `KubeHttpError`. */
export function httpFailure(err: unknown): { statusCode: number; message: string | undefined; reason: string | undefined } | undefined {
  if (err instanceof KubeHttpError) return { statusCode: err.statusCode, message: err.message, reason: err.reason };
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; body?: unknown; statusCode?: unknown };
  const statusCode = typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (statusCode === undefined) return undefined;
  const status = statusOf(e.body);
  return {
    statusCode,
    message: typeof status?.message === 'string' ? status.message : undefined,
    reason: typeof status?.reason === 'string' ? status.reason : undefined,
  };
}

function errnoOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim();
}

/** Where the failing call went, for the message. */
export interface KubeWhere {
  context?: string;
  server?: string;
}

/**
 * One clear line for a failed API call (`what` is the action: `list pods`, `create pod web-0`):
 * unreachable → DUST_KUBE_CONNECT, 401/403 → DUST_KUBE_UNAUTHORIZED, anything else → DUST_KUBE_API with the
 * server's own message.
 */
export function translateKubeError(err: unknown, what: string, where: KubeWhere = {}): DustError {
  if (isDustError(err)) return err;
  const ctx = where.context ? ` (context ${where.context})` : '';
  const http = httpFailure(err);
  if (http) {
    const detail = http.message ?? http.reason ?? `HTTP ${http.statusCode}`;
    if (http.statusCode === 401) {
      return new DustError(ErrorCodes.KubeUnauthorized, `Kubernetes: ${what}: the API server refused the credentials${ctx}`, {
        cause: err, hint: 'the token or client certificate is wrong or expired: refresh it (for cloud clusters, re-run the provider\'s get-credentials command) and check `kubectl auth whoami`',
      });
    }
    if (http.statusCode === 403) {
      return new DustError(ErrorCodes.KubeUnauthorized, `Kubernetes: ${what}: forbidden${ctx}: ${detail}`, {
        cause: err, hint: 'your role lacks this permission; check with `kubectl auth can-i` (dust needs get/list/watch pods, create pods/exec, and create/delete pods for workers)',
      });
    }
    return new DustError(ErrorCodes.KubeApi, `Kubernetes: ${what}${ctx}: ${detail}`, { cause: err, hint: `the API server answered ${http.statusCode}${http.reason ? ` ${http.reason}` : ''}` });
  }
  const message = firstLine(err instanceof Error ? err.message : String(err));
  const errno = errnoOf(err);
  const server = where.server ? ` at ${where.server}` : '';
  if ((errno !== undefined && NETWORK.has(errno)) || /ECONNREFUSED|ENOTFOUND|socket hang up|network|timed? ?out/i.test(message)) {
    return new DustError(ErrorCodes.KubeConnect, `Kubernetes: ${what}: cannot reach the API server${server}${ctx}: ${message}`, {
      cause: err, hint: 'is the cluster up and the kubeconfig\'s server right? `kubectl cluster-info` tells',
    });
  }
  if (TLS.test(message) || (errno !== undefined && TLS.test(errno))) {
    return new DustError(ErrorCodes.KubeConnect, `Kubernetes: ${what}: TLS verification of the API server${server} failed${ctx}: ${message}`, {
      cause: err, hint: 'the kubeconfig\'s certificate-authority(-data) does not match the server\'s certificate',
    });
  }
  return new DustError(ErrorCodes.KubeApi, `Kubernetes: ${what}${ctx}: ${message}`, { cause: err });
}
