import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DustConfig } from '../config/schema.js';

/** Where a resolved value came from (shown by `--verbose` and in docs/ec2.md). */
export type SettingSource =
  | '--region' | '--profile' | '--endpoint-url'
  | 'AWS_REGION' | 'AWS_DEFAULT_REGION' | 'AWS_PROFILE' | 'AWS_ENDPOINT_URL_EC2' | 'AWS_ENDPOINT_URL'
  | 'profile' | 'config' | 'default';

/** The EC2 connection settings for one dust process. */
export interface AwsSettings {
  /** Whether dust lists EC2 instances and offers EC2 commands in this session. */
  enabled: boolean;
  /** Why EC2 is (not) enabled, for `--verbose` and error hints. */
  reason: string;
  region: string | undefined;
  regionSource: SettingSource | undefined;
  /** Profile passed to the SDK; undefined = the SDK's default chain (which reads AWS_PROFILE itself). */
  profile: string | undefined;
  profileSource: SettingSource | undefined;
  /** Explicit endpoint (LocalStack, moto, `dust emulator`); undefined = AWS's own. */
  endpoint: string | undefined;
  endpointSource: SettingSource | undefined;
  /** Tag whose value names a node's cluster. */
  clusterTag: string;
}

export interface AwsSettingsInput {
  /** Command-line flags. */
  cli?: { region?: string | undefined; profile?: string | undefined; endpointUrl?: string | undefined };
  config: Pick<DustConfig, 'region' | 'ec2'>;
  /** Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default: os.homedir() (for ~/.aws/config). */
  homeDir?: string;
}

export const DEFAULT_CLUSTER_TAG = 'dust:cluster';

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

/**
 * Resolves region, profile and endpoint the way the AWS CLI users expect:
 *   region:   --region > AWS_REGION > AWS_DEFAULT_REGION > the profile's `region` in ~/.aws/config > config `region`
 *   profile:  --profile > AWS_PROFILE > config `ec2.profile`
 *   endpoint: --endpoint-url > config `ec2.endpoint` > AWS_ENDPOINT_URL_EC2 > AWS_ENDPOINT_URL
 * The JS SDK ignores AWS_DEFAULT_REGION, so it is read here. EC2 is enabled when a region resolves or
 * `ec2.enabled: true` (region then defaults to us-east-1), and never when `ec2.enabled: false`.
 */
export async function resolveAwsSettings(input: AwsSettingsInput): Promise<AwsSettings> {
  const env = input.env ?? process.env;
  const cli = input.cli ?? {};
  const ec2 = input.config.ec2 ?? {};

  let profile: string | undefined;
  let profileSource: SettingSource | undefined;
  if (nonEmpty(cli.profile)) [profile, profileSource] = [nonEmpty(cli.profile), '--profile'];
  else if (nonEmpty(env['AWS_PROFILE'])) [profile, profileSource] = [nonEmpty(env['AWS_PROFILE']), 'AWS_PROFILE'];
  else if (nonEmpty(ec2.profile)) [profile, profileSource] = [nonEmpty(ec2.profile), 'config'];

  let region: string | undefined;
  let regionSource: SettingSource | undefined;
  // The shared config files are read only when they can decide something: EC2 not switched off, and no
  // region given on the command line or in the environment.
  const profileRegion = async () => (ec2.enabled === false ? undefined : readProfileRegion(profile ?? 'default', env, input.homeDir));
  let fromProfile: string | undefined;
  if (nonEmpty(cli.region)) [region, regionSource] = [nonEmpty(cli.region), '--region'];
  else if (nonEmpty(env['AWS_REGION'])) [region, regionSource] = [nonEmpty(env['AWS_REGION']), 'AWS_REGION'];
  else if (nonEmpty(env['AWS_DEFAULT_REGION'])) [region, regionSource] = [nonEmpty(env['AWS_DEFAULT_REGION']), 'AWS_DEFAULT_REGION'];
  else if ((fromProfile = await profileRegion()) !== undefined) [region, regionSource] = [fromProfile, 'profile'];
  else if (nonEmpty(input.config.region)) [region, regionSource] = [nonEmpty(input.config.region), 'config'];

  let endpoint: string | undefined;
  let endpointSource: SettingSource | undefined;
  const ignoreEnvEndpoints = (env['AWS_IGNORE_CONFIGURED_ENDPOINT_URLS'] ?? '').toLowerCase() === 'true';
  if (nonEmpty(cli.endpointUrl)) [endpoint, endpointSource] = [nonEmpty(cli.endpointUrl), '--endpoint-url'];
  else if (nonEmpty(ec2.endpoint)) [endpoint, endpointSource] = [nonEmpty(ec2.endpoint), 'config'];
  else if (!ignoreEnvEndpoints && nonEmpty(env['AWS_ENDPOINT_URL_EC2'])) [endpoint, endpointSource] = [nonEmpty(env['AWS_ENDPOINT_URL_EC2']), 'AWS_ENDPOINT_URL_EC2'];
  else if (!ignoreEnvEndpoints && nonEmpty(env['AWS_ENDPOINT_URL'])) [endpoint, endpointSource] = [nonEmpty(env['AWS_ENDPOINT_URL']), 'AWS_ENDPOINT_URL'];

  let enabled: boolean;
  let reason: string;
  if (ec2.enabled === false) {
    enabled = false;
    reason = 'ec2.enabled is false in the config';
  } else if (region !== undefined) {
    enabled = true;
    reason = `region ${region} from ${regionSource}`;
  } else if (ec2.enabled === true) {
    enabled = true;
    region = 'us-east-1';
    regionSource = 'default';
    reason = 'ec2.enabled is true (no region set: us-east-1)';
  } else {
    enabled = false;
    reason = 'no region (--region, AWS_REGION, AWS_DEFAULT_REGION, ~/.aws/config, config region)';
  }
  return {
    enabled, reason, region, regionSource, profile, profileSource, endpoint, endpointSource,
    clusterTag: nonEmpty(ec2.clusterTag) ?? DEFAULT_CLUSTER_TAG,
  };
}

/** ~/.aws/config, or AWS_CONFIG_FILE. */
export function awsConfigFile(env: NodeJS.ProcessEnv = process.env, homeDir: string = os.homedir()): string {
  return sharedFile(env['AWS_CONFIG_FILE'], path.join(homeDir, '.aws', 'config'), homeDir);
}

/** ~/.aws/credentials, or AWS_SHARED_CREDENTIALS_FILE. */
export function awsCredentialsFile(env: NodeJS.ProcessEnv = process.env, homeDir: string = os.homedir()): string {
  return sharedFile(env['AWS_SHARED_CREDENTIALS_FILE'], path.join(homeDir, '.aws', 'credentials'), homeDir);
}

function sharedFile(explicit: string | undefined, fallback: string, homeDir: string): string {
  const given = nonEmpty(explicit);
  if (!given) return fallback;
  return given.startsWith('~/') ? path.join(homeDir, given.slice(2)) : given;
}

/**
 * A profile's `region`, read by the SDK's own shared-config loader, so dust and the SDK (and the AWS CLI)
 * always agree: `[profile NAME]` and `[default]` count, a bare `[NAME]` does not (in the config file), the
 * credentials file's section wins over the config file's, inline comments and sub-sections are handled as
 * the SDK does.
 * The loader is imported only when one of the files exists. Missing files are no error.
 */
export async function readProfileRegion(profile: string, env: NodeJS.ProcessEnv = process.env, homeDir: string = os.homedir()): Promise<string | undefined> {
  const configFilepath = awsConfigFile(env, homeDir);
  const filepath = awsCredentialsFile(env, homeDir);
  if (!fs.existsSync(configFilepath) && !fs.existsSync(filepath)) return undefined;
  const { loadSharedConfigFiles } = await import('@smithy/shared-ini-file-loader');
  const { configFile, credentialsFile } = await loadSharedConfigFiles({ configFilepath, filepath, ignoreCache: true });
  // As the SDK's region provider (NODE_REGION_CONFIG_FILE_OPTIONS, preferredFile 'credentials'): where both
  // files name the profile, the credentials file's region wins.
  return nonEmpty({ ...configFile[profile], ...credentialsFile[profile] }['region']);
}

/**
 * Profile names as the SDK sees them (the same loader, so `[p3]` in the config file, which the SDK ignores, is no
 * profile here either). Missing files give none.
 */
export async function listProfiles(env: NodeJS.ProcessEnv = process.env, homeDir: string = os.homedir()): Promise<string[]> {
  const configFilepath = awsConfigFile(env, homeDir);
  const filepath = awsCredentialsFile(env, homeDir);
  if (!fs.existsSync(configFilepath) && !fs.existsSync(filepath)) return [];
  const { loadSharedConfigFiles } = await import('@smithy/shared-ini-file-loader');
  const { configFile, credentialsFile } = await loadSharedConfigFiles({ configFilepath, filepath, ignoreCache: true });
  // The loader keys other section types (`[sso-session corp]`, `[services x]`) as `type.name`: those are no profiles.
  const isProfile = (k: string) => !/^(sso-session|services)\./.test(k);
  return [...new Set([...Object.keys(configFile).filter(isProfile), ...Object.keys(credentialsFile)])].sort();
}
