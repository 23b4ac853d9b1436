/**
 * Kubernetes `Status` objects: what the API server answers every failed request with (and what the exec status
 * channel carries). Clients key on `reason` and `code` (client-node's ApiException keeps the body; kubectl prints
 * `Error from server (NotFound): pods "x" not found`), so the wording follows the real server's.
 */

/** One `details.causes` entry. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** The JSON of a `v1.Status`. */
export interface StatusJson {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
  code?: number;
}

/** A request the emulator refuses; rendered as a Status with `code` as the HTTP status. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';

  constructor(
    readonly code: number,
    /** `NotFound`, `AlreadyExists`, `Invalid`, `BadRequest`, `Unauthorized`, ... */
    readonly reason: string,
    message: string,
    readonly details?: StatusJson['details'],
  ) {
    super(message);
  }

  toStatus(): StatusJson {
    return failureStatus(this.code, this.reason, this.message, this.details);
  }
}

export function failureStatus(code: number, reason: string, message: string, details?: StatusJson['details']): StatusJson {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

/** The errors the emulator raises, worded as kube-apiserver words them. */
export const KubeErrors = {
  podNotFound: (name: string) => new KubeApiError(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' }),
  namespaceNotFound: (name: string) =>
    new KubeApiError(404, 'NotFound', `namespaces "${name}" not found`, { name, kind: 'namespaces' }),
  podExists: (name: string) =>
    new KubeApiError(409, 'AlreadyExists', `pods "${name}" already exists`, { name, kind: 'pods' }),
  namespaceExists: (name: string) =>
    new KubeApiError(409, 'AlreadyExists', `namespaces "${name}" already exists`, { name, kind: 'namespaces' }),
  invalid: (kind: string, name: string, causes: StatusCause[]) => {
    const what = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
    const label = kind === 'pods' ? 'Pod' : kind === 'namespaces' ? 'Namespace' : kind;
    return new KubeApiError(422, 'Invalid', `${label} "${name}" is invalid: ${causes.length > 1 ? `[${what}]` : what}`, {
      name,
      kind,
      causes,
    });
  },
  badRequest: (message: string) => new KubeApiError(400, 'BadRequest', message),
  unauthorized: () => new KubeApiError(401, 'Unauthorized', 'Unauthorized'),
  notFoundPath: (path: string) => new KubeApiError(404, 'NotFound', `the server could not find the requested resource (${path})`),
  methodNotAllowed: (method: string) =>
    new KubeApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`),
  gone: (message: string) => new KubeApiError(410, 'Expired', message),
  internal: (message: string) => new KubeApiError(500, 'InternalError', `Internal error occurred: ${message}`),
} as const;
