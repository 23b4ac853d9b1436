import { Ec2ApiError, errorForCode } from './errors.js';

/** One injected failure. */
export interface FaultSpec {
  /** Action name (`DescribeInstances`) or `'*'` for every action. Default `'*'`. */
  action?: string;
  /** EC2 error code to answer with, e.g. `RequestLimitExceeded`, `InternalError`, `InsufficientInstanceCapacity`. */
  error: string;
  /** Message; defaults to EC2's usual wording for the code. */
  message?: string;
  /** HTTP status; defaults to EC2's status for the code (503 for throttling, 500 internal, 400 otherwise). */
  status?: number;
  /** How many matching requests fail before the fault is used up (default 1; `Infinity` = until removed). */
  times?: number;
  /** Only requests to this region. */
  region?: string;
}

/** A live fault: how many hits are left, and a way to cancel it. */
export interface FaultHandle {
  readonly spec: Readonly<FaultSpec>;
  remaining(): number;
  remove(): void;
}

interface ActiveFault {
  spec: FaultSpec;
  left: number;
}

/**
 * Failure injection for testing retry, backoff and error UX: queued faults (consumed in the order
 * added) and a deny list that turns actions into `UnauthorizedOperation`, as an IAM policy would.
 */
export class FaultInjector {
  private faults: ActiveFault[] = [];
  private readonly denied = new Set<string>();

  /** Queues a fault; the next `times` matching requests fail with it. */
  add(spec: FaultSpec): FaultHandle {
    const entry: ActiveFault = { spec: { ...spec }, left: spec.times ?? 1 };
    this.faults.push(entry);
    return {
      spec: entry.spec,
      remaining: () => entry.left,
      remove: () => {
        this.faults = this.faults.filter((f) => f !== entry);
      },
    };
  }

  /** Makes these actions (or `'*'`) fail with UnauthorizedOperation until `allow`ed again. */
  deny(...actions: string[]): void {
    for (const a of actions) this.denied.add(a);
  }

  allow(...actions: string[]): void {
    for (const a of actions) this.denied.delete(a);
  }

  isDenied(action: string): boolean {
    return this.denied.has(action) || this.denied.has('*');
  }

  /** Removes every fault and the whole deny list. */
  clear(): void {
    this.faults = [];
    this.denied.clear();
  }

  /** Consumes and returns the first fault matching this request, if any. */
  take(action: string, region: string): Ec2ApiError | undefined {
    const hit = this.faults.find(
      (f) =>
        f.left > 0 &&
        (f.spec.action === undefined || f.spec.action === '*' || f.spec.action === action) &&
        (f.spec.region === undefined || f.spec.region === region),
    );
    if (!hit) return undefined;
    hit.left -= 1;
    if (hit.left <= 0) this.faults = this.faults.filter((f) => f !== hit);
    return errorForCode(hit.spec.error, hit.spec.message, hit.spec.status);
  }
}

/**
 * EC2's UnauthorizedOperation, including the "Encoded authorization failure message" tail. Real EC2
 * encrypts it (STS DecodeAuthorizationMessage decodes it); here it is base64url JSON with the same
 * kind of content, so anything that shows or strips the tail is exercised.
 */
export function unauthorizedError(action: string, region: string, accountId: string): Ec2ApiError {
  const principal = `arn:aws:iam::${accountId}:user/dust-emulator`;
  const encoded = Buffer.from(
    JSON.stringify({
      allowed: false,
      explicitDeny: false,
      matchedStatements: { items: [] },
      failures: { items: [] },
      context: { principal: { arn: principal }, action: `ec2:${action}`, resource: '*', conditions: { items: [{ key: 'aws:Region', values: { items: [{ value: region }] } }] } },
    }),
  ).toString('base64url');
  return new Ec2ApiError(
    'UnauthorizedOperation',
    `You are not authorized to perform this operation. User: ${principal} is not authorized to perform: ec2:${action} ` +
      `because no identity-based policy allows the ec2:${action} action. Encoded authorization failure message: ${encoded}`,
    403,
  );
}
