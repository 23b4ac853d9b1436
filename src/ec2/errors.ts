import { DustError, isDustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

/** What an SDK error carries (EC2 has no modelled exceptions: switch on `name`). */
interface SdkErrorLike {
  name?: string;
  Code?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number; requestId?: string };
}

const THROTTLING = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestThrottled', 'RequestThrottledException']);
const BAD_CREDENTIALS = new Set(['AuthFailure', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'UnrecognizedClientException', 'ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'OptInRequired']);
const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'TimeoutError']);

export const CREDENTIALS_HINT = 'run `aws configure`, pick a profile with --profile or AWS_PROFILE, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';

/** Removes `user:password@` from URLs and AWS key ids from text: messages must never carry secrets. */
export function redact(text: string): string {
  return text
    .replace(/(\w+:\/\/)[^/@\s]+@/g, '$1')
    .replace(/\b(AKIA|ASIA)[A-Z0-9]{12,}\b/g, '$1…');
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim();
}

/**
 * Turns whatever the SDK threw into one clear line with a stable code:
 * - no credentials anywhere → DUST_EC2_CREDENTIALS with the fix;
 * - credentials refused (AuthFailure, expired token) → DUST_EC2_CREDENTIALS;
 * - UnauthorizedOperation → DUST_EC2_UNAUTHORIZED naming the action (the encoded policy blob is dropped);
 * - throttling that outlived the retries → DUST_EC2_THROTTLED;
 * - anything else (unknown instance, wrong state, network) → DUST_EC2_API with AWS's code.
 */
export function translateEc2Error(err: unknown, action: string, where: { region?: string; endpoint?: string } = {}): DustError {
  if (isDustError(err)) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as SdkErrorLike;
  const name = e.name ?? '';
  const awsCode = e.Code ?? name;
  const message = redact(firstLine(e.message ?? String(err)));
  const attempts = e.$metadata?.attempts;
  const regionText = where.region ? ` in ${where.region}` : '';
  const opts = { cause: err };

  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    if (/could not load credentials from any providers/i.test(message) || message === '') {
      return new DustError(ErrorCodes.Ec2Credentials, `EC2 ${action}: no AWS credentials found`, { ...opts, hint: CREDENTIALS_HINT });
    }
    // A provider that knows what is wrong (an SSO session to renew, a profile that is missing or broken):
    // its own words are the useful ones, "run aws configure" would send the person the wrong way.
    return new DustError(ErrorCodes.Ec2Credentials, `EC2 ${action}: AWS credentials: ${message}`, { ...opts, hint: credentialsHintFor(message) });
  }
  if (BAD_CREDENTIALS.has(awsCode)) {
    return new DustError(ErrorCodes.Ec2Credentials, `EC2 ${action}: AWS refused the credentials${regionText} (${awsCode})`, {
      ...opts, hint: `refresh or replace them: ${CREDENTIALS_HINT}`,
    });
  }
  if (awsCode === 'UnauthorizedOperation' || awsCode === 'AccessDenied' || awsCode === 'AccessDeniedException') {
    return new DustError(ErrorCodes.Ec2Unauthorized, `EC2: not authorized to perform ec2:${action}${regionText} (${awsCode})`, {
      ...opts, hint: `ask for ec2:${action} in your IAM policy, or use a profile that has it`,
    });
  }
  if (THROTTLING.has(awsCode)) {
    const tries = attempts ? ` after ${attempts} attempt${attempts === 1 ? '' : 's'}` : '';
    return new DustError(ErrorCodes.Ec2Throttled, `EC2 ${action}: throttled by AWS${tries} (${awsCode})`, {
      ...opts, hint: 'too many API calls on this account right now; wait a little and try again',
    });
  }
  if (/region is missing/i.test(message)) {
    return new DustError(ErrorCodes.Ec2Api, `EC2 ${action}: no region`, { ...opts, hint: 'pass --region, or set AWS_REGION or region in the config' });
  }
  const sysCode = e.code ?? name;
  if (NETWORK.has(sysCode) || NETWORK.has(name)) {
    const endpoint = where.endpoint ? redact(where.endpoint) : 'the EC2 endpoint';
    return new DustError(ErrorCodes.Ec2Api, `EC2 ${action}: cannot reach ${endpoint} (${sysCode})`, {
      ...opts, hint: 'check the network, --endpoint-url / AWS_ENDPOINT_URL_EC2, or the emulator you meant to run',
    });
  }
  const hint = hintFor(awsCode);
  return new DustError(ErrorCodes.Ec2Api, `EC2 ${action} failed${regionText}: ${message}${awsCode && !message.includes(awsCode) ? ` (${awsCode})` : ''}`, {
    ...opts, ...(hint ? { hint } : {}),
  });
}

function credentialsHintFor(message: string): string {
  const profile = /profile[= ](?:')?([\w.@+-]+)/i.exec(message)?.[1];
  if (/aws sso login/i.test(message)) return `run \`aws sso login${profile ? ` --profile ${profile}` : ''}\`, then try again`;
  return CREDENTIALS_HINT;
}

function hintFor(code: string): string | undefined {
  if (code.startsWith('InvalidInstanceID')) return 'the instance may have been terminated or belong to another region: `refresh` to reload the inventory';
  if (code === 'IncorrectInstanceState') return 'the instance is in the middle of a change; wait for it to settle (show) and try again';
  if (code === 'DryRunOperation') return 'the request would have succeeded (dry run)';
  return undefined;
}
