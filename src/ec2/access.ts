/**
 * What the EC2 integration offers other plugins and commands: `ctx.use<Ec2Access>('ec2')` (provided with
 * `api.provide('ec2', …)`, the way any plugin offers something). Nothing here loads the SDK until asked.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { CommandContext } from '../plugins/api.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { loadEc2Sdk, type Ec2Sdk } from './sdk.js';
import type { Ec2Cloud } from './cloud-hooks.js';

export interface Ec2Access {
  /** The region instances are listed from and commands act in. */
  readonly region: string | undefined;
  /** The tag key naming a node's cluster (`dust:cluster` unless the config says otherwise). */
  readonly clusterTag: string;
  /** The EC2 client of the current region, created (and the SDK loaded) on first use. */
  client(): Promise<EC2Client>;
  /**
   * The `@aws-sdk/client-ec2` module dust itself uses (command classes such as DescribeSecurityGroupsCommand).
   * A drop-in plugin cannot resolve dust's dependencies from its own folder, so it takes the SDK from here.
   */
  sdk(): Promise<Ec2Sdk>;
}

export function ec2Access(cloud: Ec2Cloud, clusterTag: string): Ec2Access {
  return {
    get region() { return cloud.region; },
    clusterTag,
    client: () => {
      if (!cloud.region) return Promise.reject(ec2NotEnabled());
      return cloud.client(cloud.region);
    },
    sdk: () => Promise.resolve(loadEc2Sdk()),
  };
}

/** What `use('ec2')` gives when EC2 is off: every call says so, as dust itself would. */
export function disabledEc2Access(clusterTag: string): Ec2Access {
  return { region: undefined, clusterTag, client: () => Promise.reject(ec2NotEnabled()), sdk: () => Promise.resolve(loadEc2Sdk()) };
}

/** The line every EC2 call gives while EC2 is off. */
export function ec2NotEnabled(): DustError {
  return new DustError(ErrorCodes.Ec2Credentials, 'EC2 is not enabled in this session', { hint: 'set a region (--region, AWS_REGION) or ec2.enabled: true in the config' });
}

/** The EC2 access a command needs, or one line saying EC2 is off. */
export function requireEc2(ctx: Pick<CommandContext, 'use'>): Ec2Access {
  const access = ctx.use<Ec2Access>('ec2');
  if (!access) throw ec2NotEnabled();
  return access;
}
