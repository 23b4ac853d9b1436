import fs from 'node:fs';
import path from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { createEc2RequestHandler, Ec2EmulatorCore, type Ec2RequestLogEntry, ManualClock } from '../../src/ec2/emulator/index.js';
import type { LifecycleDeps, LifecycleEvent } from '../../src/ec2/lifecycle/index.js';
import { Ec2ClusterSpecSchema, type Ec2ClusterSpec } from '../../src/clusters/spec.js';
import { generateEd25519 } from '../../src/ssh/keygen.js';
import { makeTempHome } from '../helpers/temp-home.js';

export const REGION = 'us-east-1';

/** Read-only EC2 actions: a no-op `up` sends nothing else. */
export const READ_ONLY = /^Describe/;

export interface LifecycleFixture {
  core: Ec2EmulatorCore;
  clock: ManualClock;
  home: string;
  /** A real ed25519 public key file (`id_ed25519.pub` in the temp home). */
  keyFile: string;
  deps: LifecycleDeps;
  events: LifecycleEvent[];
  /** A real SDK client on the same emulator (for assertions and for unrelated resources). */
  client: EC2Client;
  spec(extra?: Record<string, unknown>): Ec2ClusterSpec;
  /** Requests logged since `mark()`. */
  since(mark: number): Ec2RequestLogEntry[];
  mark(): number;
  cleanup(): void;
}

/**
 * An emulator on a manual clock (instances take 2 s to start and stop), a temp DUST_HOME with a real
 * public key, and LifecycleDeps whose sleep moves the clock, so waits need no real time.
 */
export function lifecycleFixture(): LifecycleFixture {
  const clock = new ManualClock(Date.UTC(2026, 3, 1, 8, 0, 0));
  const core = new Ec2EmulatorCore({ clock, delays: { pending: 2000, stopping: 2000, shuttingDown: 2000 }, requestLogLimit: 100_000 });
  const handler = createEc2RequestHandler(core);
  const { home, cleanup } = makeTempHome();
  const keyFile = path.join(home, 'id_ed25519.pub');
  fs.writeFileSync(keyFile, `${generateEd25519('me@laptop').publicKey}\n`);
  const newClient = () => new EC2Client({
    region: REGION, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' }, endpoint: 'http://ec2.emulator.invalid', requestHandler: handler, maxAttempts: 1,
  });
  const client = newClient();
  const events: LifecycleEvent[] = [];
  const deps: LifecycleDeps = {
    client: () => client,
    defaultRegion: REGION,
    dustHome: home,
    specDir: home,
    onProgress: (e) => events.push(e),
    pollIntervalMs: 1000,
    timeoutMs: 60_000,
    sleep: async (ms, signal) => {
      if (signal.aborted) return false;
      clock.advance(ms);
      await new Promise((r) => setImmediate(r));
      return !signal.aborted;
    },
    now: () => new Date(clock.now()),
  };
  return {
    core, clock, home, keyFile, deps, events, client,
    spec: (extra = {}) => Ec2ClusterSpecSchema.parse({ name: 'spark1', key: keyFile, ...extra }),
    mark: () => core.requestLog.length,
    since: (mark) => core.requestLog.slice(mark),
    cleanup: () => {
      client.destroy();
      cleanup();
    },
  };
}
