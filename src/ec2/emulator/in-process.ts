import type { Ec2EmulatorCore } from './core.js';
import { regionFromAuthorization, regionFromCredentialScope } from './sigv4.js';

/**
 * The parts of smithy's `HttpRequest` the handler reads. Structural on purpose: `@smithy/protocol-http`
 * is not a direct dependency (nor resolvable from the project root), and the SDK only needs the shape.
 */
export interface SdkHttpRequestLike {
  method: string;
  headers: Record<string, string>;
  body?: unknown;
  query?: Record<string, string | string[] | null>;
}

/** smithy's `HttpResponse` shape; a Uint8Array body is accepted by the SDK's body collector as is. */
export interface SdkHttpResponseLike {
  statusCode: number;
  reason?: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  throw new TypeError('Ec2InProcessHandler: streaming request bodies are not supported (EC2 requests are form bodies)');
}

function queryText(query: SdkHttpRequestLike['query']): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === null) out.append(k, '');
    else if (Array.isArray(v)) for (const item of v) out.append(k, item);
    else out.append(k, v);
  }
  return out.toString();
}

/**
 * An SDK `requestHandler` that answers from an emulator core without sockets:
 * `new EC2Client({ requestHandler: new Ec2InProcessHandler(core), region, credentials, endpoint })`.
 * The whole SDK pipeline still runs (serialisation, signing, retries, XML parsing, error mapping).
 */
export class Ec2InProcessHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };

  constructor(readonly core: Ec2EmulatorCore) {}

  async handle(
    request: SdkHttpRequestLike,
    options: { abortSignal?: { aborted: boolean } } = {},
  ): Promise<{ response: SdkHttpResponseLike }> {
    if (options.abortSignal?.aborted) {
      const abort = new Error('Request aborted');
      abort.name = 'AbortError';
      throw abort;
    }
    const isGet = request.method.toUpperCase() === 'GET';
    const body = isGet ? queryText(request.query) : bodyText(request.body);
    const scope = request.query?.['X-Amz-Credential'];
    const region =
      regionFromAuthorization(headerValue(request.headers, 'authorization')) ??
      regionFromCredentialScope(typeof scope === 'string' ? scope : undefined);
    const result = this.core.handle({ body, region });
    const bytes = Buffer.from(result.body, 'utf8');
    return {
      response: {
        statusCode: result.status,
        headers: { ...result.headers, 'content-length': String(bytes.byteLength) },
        body: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      },
    };
  }

  /** Part of smithy's HttpHandler interface; there is no client configuration to update. */
  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  /** Nothing to release: no sockets. */
  destroy(): void {}
}

/** Shorthand for `new Ec2InProcessHandler(core)`. */
export function createEc2RequestHandler(core: Ec2EmulatorCore): Ec2InProcessHandler {
  return new Ec2InProcessHandler(core);
}
