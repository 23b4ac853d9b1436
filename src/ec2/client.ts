import type { EC2Client } from '@aws-sdk/client-ec2';
import type { AwsSettings } from './aws-settings.js';
import { loadEc2Sdk, withoutNodeVersionWarning } from './sdk.js';
import { translateEc2Error } from './errors.js';

/** Static credentials (the demo, tests); real use leaves them to the SDK's default chain. */
export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface Ec2ClientFactoryOptions {
  settings: Pick<AwsSettings, 'endpoint' | 'profile'>;
  /**
   * Total tries per request, first one included (SDK `maxAttempts`, standard retry mode: exponential
   * backoff with jitter; throttling errors back off from 500 ms). Default 5.
   */
  maxAttempts?: number;
  /** An SDK request handler (the emulator's in-process handler for the demo and tests). */
  requestHandler?: unknown;
  credentials?: StaticCredentials;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

/**
 * One EC2Client per region, created on first use (that is when the SDK is loaded). Settings are
 * passed explicitly so `--endpoint-url` and `--profile` win over the environment.
 */
export class Ec2ClientFactory {
  private readonly clients = new Map<string, EC2Client>();

  constructor(private readonly options: Ec2ClientFactoryOptions) {}

  get maxAttempts(): number {
    return this.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  }

  get settings(): Pick<AwsSettings, 'endpoint' | 'profile'> {
    return this.options.settings;
  }

  /** The region's client; the first call loads the SDK. */
  client(region: string): EC2Client {
    let client = this.clients.get(region);
    if (!client) {
      const sdk = loadEc2Sdk();
      const { settings, requestHandler, credentials } = this.options;
      const config: ConstructorParameters<typeof sdk.EC2Client>[0] = {
        region,
        maxAttempts: this.maxAttempts,
        retryMode: 'standard',
        ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
        ...(settings.profile ? { profile: settings.profile } : {}),
        ...(credentials ? { credentials } : {}),
        ...(requestHandler ? { requestHandler: requestHandler as never } : {}),
      };
      client = withoutNodeVersionWarning(() => new sdk.EC2Client(config));
      this.clients.set(region, client);
    }
    return client;
  }

  /** Forgets (and closes) a region's client, e.g. after `use <other region>`. */
  drop(region: string): void {
    this.clients.get(region)?.destroy();
    this.clients.delete(region);
  }

  destroy(): void {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
  }
}

/**
 * Sends one command and turns any failure into a one-line DustError naming the action
 * (see translateEc2Error). `action` is the API name (`StopInstances`).
 */
export async function sendEc2<T>(client: EC2Client, action: string, command: unknown, options?: { abortSignal?: AbortSignal }): Promise<T> {
  try {
    return await (client.send as (c: unknown, o?: unknown) => Promise<T>)(command, options);
  } catch (err) {
    throw translateEc2Error(err, action, await describeClient(client));
  }
}

/** Region and endpoint of a client, for error messages (never credentials). */
export async function describeClient(client: EC2Client): Promise<{ region?: string; endpoint?: string }> {
  const out: { region?: string; endpoint?: string } = {};
  try {
    const region = await client.config.region();
    if (region) out.region = region;
  } catch {
    // Region missing: the error itself says so.
  }
  try {
    const endpoint = client.config.endpoint ? await client.config.endpoint() : undefined;
    if (endpoint) out.endpoint = `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ''}${endpoint.path === '/' ? '' : endpoint.path}`;
  } catch {
    // No explicit endpoint.
  }
  return out;
}
