/** CPU profiles of parts of a benchmark, taken in-process with the inspector (same format as `node --cpu-prof`). */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { summarizeProfile, type CpuProfile, type ProfileSummary } from './profile-summary.js';

/** Runs `fn` under the V8 profiler; writes $TMPDIR/<name>-<time>.cpuprofile and returns its summary. */
export async function profiled(name: string, fn: () => Promise<void>): Promise<{ file: string; summary: ProfileSummary }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  let profile: unknown;
  try {
    await fn();
  } finally {
    ({ profile } = await session.post('Profiler.stop'));
    session.disconnect();
  }
  const file = path.join(os.tmpdir(), `${name}-${Date.now()}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  return { file, summary: summarizeProfile(profile as unknown as CpuProfile) };
}
