/**
 * Child process for the RSS of one kind of session (pods or SSH nodes), so the bench's own allocations do not
 * count: builds a DustApp, lists the inventory (client-node loaded, the pod list fetched: not session cost), GCs,
 * reads RSS, opens every targeted node's session (`@<target> true` twice), GCs, reads RSS again; prints JSON.
 *
 *   node --expose-gc --import tsx bench/pods-rss-child.ts <dust.yaml> <dustHome> <target>
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

const [configFile, dustHome, target] = process.argv.slice(2);
if (!configFile || !dustHome || !target) throw new Error('usage: pods-rss-child.ts <dust.yaml> <dustHome> <target>');
const app = await makeDustApp(configFile, dustHome);
await runOk(app, 'help');
await runOk(app, `show ${target}`);
const before = await settle();
await runOk(app, `@${target} true`);
await runOk(app, `@${target} true`);
const after = await settle();
const sessions = app.sessions.connected().length;
await app.shutdown();
process.stdout.write(`${JSON.stringify({ sessions, before, after })}\n`);
process.exit(0);
