import type { EC2Client } from '@aws-sdk/client-ec2';
import type { Sleep } from '../wait.js';

/** One step of provisioning or teardown, as the progress callback hears of it. */
export type LifecycleStep =
  | 'state' | 'key-pair' | 'security-group' | 'placement-group' | 'image' | 'launch-head' | 'launch-workers'
  | 'start-stopped' | 'name-tags' | 'wait-head' | 'terminate' | 'wait-terminated' | 'delete-placement-group'
  | 'delete-security-group' | 'delete-key-pair';

export interface LifecycleEvent {
  step: LifecycleStep;
  /** `start` before the step talks to EC2, `done` when it changed something, `skip` when nothing was needed, `wait` while polling. */
  phase: 'start' | 'done' | 'skip' | 'wait';
  /** One line for a progress display: `security group dust-spark1 (sg-…): created, 2 rules added`. */
  message: string;
}

/** What the cluster lifecycle functions need from their caller. */
export interface LifecycleDeps {
  /** The EC2 client of a region (a cluster lives in one region: its spec's, else `defaultRegion`). */
  client(region: string): EC2Client | Promise<EC2Client>;
  /** dust's current region, for specs without `region:` (and clusters without a state file). */
  defaultRegion: string | undefined;
  /** `$DUST_HOME`: state files go to `$DUST_HOME/clusters/NAME.yaml`. */
  dustHome: string;
  /** The cluster tag key (`ec2.clusterTag`); default `dust:cluster`. */
  clusterTag?: string;
  /** Where relative paths in the spec (`key:`) start; default the current directory. */
  specDir?: string;
  onProgress?: (event: LifecycleEvent) => void;
  /** Aborting ends waits early (the EC2 side carries on). */
  signal?: AbortSignal;
  /** Polling: default every 2 s, for at most 15 min. Tests pass a sleep that moves the emulator clock. */
  sleep?: Sleep;
  pollIntervalMs?: number;
  timeoutMs?: number;
  /** DeleteSecurityGroup answers DependencyViolation for a while after instances are gone (AWS lag): how often to retry. Default 10. */
  dependencyRetries?: number;
  /** Clock for the state file's timestamps. */
  now?: () => Date;
}
