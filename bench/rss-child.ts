/**
 * Child process for the RSS measurement (so the bench's own allocations do not count): builds a DustApp,
 * measures RSS, opens every node's session with `@* true`, lets it settle, measures again, prints JSON.
 * Run as: node --expose-gc --import tsx bench/rss-child.ts <dust.yaml> <dustHome>
 */
import { makeDustApp, runOk } from './lib/dust-app.js';
import { sleep } from './lib/util.js';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

async function settle(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(300);
  }
  return process.memoryUsage();
}

const [configFile, dustHome] = process.argv.slice(2);
if (!configFile || !dustHome) throw new Error('usage: rss-child.ts <dust.yaml> <dustHome>');
const app = await makeDustApp(configFile, dustHome);
await runOk(app, 'help'); // load lazily-required code paths before the baseline
const before = await settle();
await runOk(app, '@* true');
await runOk(app, '@* true');
const after = await settle();
const sessions = app.sessions.connected().length;
await app.shutdown();
process.stdout.write(`${JSON.stringify({ sessions, before, after })}\n`);
process.exit(0);
