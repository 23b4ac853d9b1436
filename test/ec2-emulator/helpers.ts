import { EC2Client } from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import {
  createEc2RequestHandler, Ec2EmulatorCore, type Ec2EmulatorOptions, ManualClock,
} from '../../src/ec2/emulator/index.js';

/** Fake static credentials: these tests never talk to real AWS. */
export const FAKE_CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' };

export interface Harness {
  core: Ec2EmulatorCore;
  clock: ManualClock;
  /** A real EC2Client wired to the core in process (no sockets), maxAttempts 1. */
  client(region?: string, maxAttempts?: number): EC2Client;
}

/** A core on a manual clock plus a client factory. */
export function harness(options: Ec2EmulatorOptions = {}): Harness {
  const clock = new ManualClock();
  const core = new Ec2EmulatorCore({ clock, ...options });
  const handler = createEc2RequestHandler(core);
  return {
    core,
    clock,
    client: (region = 'us-east-1', maxAttempts = 1) =>
      new EC2Client({
        region,
        credentials: FAKE_CREDENTIALS,
        endpoint: 'http://ec2.emulator.invalid',
        requestHandler: handler,
        maxAttempts,
      }),
  };
}

/** Awaits a promise that must reject with an SDK error of this name; returns the error. */
export async function expectEc2Error(
  promise: Promise<unknown>,
  name: string,
): Promise<Error & { name: string; $metadata?: { httpStatusCode?: number; attempts?: number }; $fault?: string }> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${name} to be thrown`).to.be.instanceOf(Error);
  const err = caught as Error & { name: string; $metadata?: { httpStatusCode?: number; attempts?: number }; $fault?: string };
  expect(err.name, err.message).to.equal(name);
  return err;
}
