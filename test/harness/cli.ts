/**
 * Command line for the loopback test cluster, for people and CI (cluster-up.sh / cluster-down.sh wrap it):
 *
 *   npx tsx test/harness/cli.ts up N DIR [--port P] [--address-start S] [--login-shell PATH]
 *                                        [--max-sessions N] [--max-startups SPEC]
 *   npx tsx test/harness/cli.ts down DIR [--purge]
 *   npx tsx test/harness/cli.ts status DIR
 *   npx tsx test/harness/cli.ts measure [N ...]     start/stop clusters of N nodes, print times and memory
 *
 * `up` leaves detached sshds running and writes DIR/nodes.json, DIR/cluster.env and DIR/ssh_config, so
 * `ssh -F DIR/ssh_config node3 hostname` works. `down` kills exactly the sshds recorded in DIR (and their
 * sessions); `--purge` also deletes DIR.
 */
import { readFileSync } from 'node:fs';
import { attachSshdCluster, startSshdCluster, type StartSshdClusterOptions } from './sshd-cluster.js';
import { childrenByParent, cmdlineOf, descendantsOf, isAlive } from './processes.js';

const USAGE = `usage:
  cli.ts up N DIR [--port P] [--address-start S] [--login-shell PATH] [--max-sessions N] [--max-startups SPEC]
  cli.ts down DIR [--purge]
  cli.ts status DIR
  cli.ts measure [N ...]`;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/** Splits argv into positionals and `--flag value` / `--flag` options. */
function parseArgs(argv: string[]): { positional: string[]; flags: Map<string, string | true> } {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const next = argv[i + 1];
    if (arg === '--purge' || next === undefined || next.startsWith('--')) flags.set(arg.slice(2), true);
    else flags.set(arg.slice(2), argv[++i] as string);
  }
  return { positional, flags };
}

function intFlag(flags: Map<string, string | true>, name: string): number | undefined {
  const value = flags.get(name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value === true || !Number.isInteger(n)) fail(`--${name} needs an integer`);
  return n;
}

function stringFlag(flags: Map<string, string | true>, name: string): string | undefined {
  const value = flags.get(name);
  if (value === true) fail(`--${name} needs a value`);
  return value;
}

async function up(positional: string[], flags: Map<string, string | true>): Promise<void> {
  const [countText, dir] = positional;
  const count = Number(countText);
  if (!Number.isInteger(count) || dir === undefined) fail(USAGE);
  const opts: StartSshdClusterOptions = { count, baseDir: dir, persistent: true, keep: true };
  const port = intFlag(flags, 'port');
  const addressStart = intFlag(flags, 'address-start');
  const maxSessions = intFlag(flags, 'max-sessions');
  const loginShell = stringFlag(flags, 'login-shell');
  const maxStartups = stringFlag(flags, 'max-startups');
  if (port !== undefined) opts.port = port;
  if (addressStart !== undefined) opts.addressStart = addressStart;
  if (maxSessions !== undefined) opts.maxSessions = maxSessions;
  if (loginShell !== undefined) opts.loginShell = loginShell;
  if (maxStartups !== undefined) opts.maxStartups = maxStartups;
  const cluster = await startSshdCluster(opts);
  const first = cluster.nodes[0];
  const last = cluster.nodes[cluster.nodes.length - 1];
  console.log(
    `${cluster.nodes.length} sshd(s) up in ${cluster.startupMs} ms: ${first?.host}..${last?.host} port ${first?.port}\n` +
      `  source ${cluster.baseDir}/cluster.env\n` +
      `  ssh -F ${cluster.sshConfigPath} ${first?.name} hostname\n` +
      `  ${process.argv[1]?.replace(/cli\.ts$/, 'cluster-down.sh') ?? 'cluster-down.sh'} ${cluster.baseDir} --purge`,
  );
}

async function down(positional: string[], flags: Map<string, string | true>): Promise<void> {
  const [dir] = positional;
  if (dir === undefined) fail(USAGE);
  const cluster = attachSshdCluster(dir, { keep: flags.get('purge') !== true });
  const count = cluster.nodes.length;
  await cluster.down();
  console.log(`stopped ${count} node(s) of ${cluster.baseDir}${flags.get('purge') === true ? ' and removed it' : ''}`);
}

function status(positional: string[]): void {
  const [dir] = positional;
  if (dir === undefined) fail(USAGE);
  const cluster = attachSshdCluster(dir);
  for (const node of cluster.nodes) {
    let pid = node.pid;
    try {
      pid = Number(readFileSync(node.pidFile, 'utf8').trim());
    } catch {
      // keep the recorded pid
    }
    const alive = isAlive(pid) && (cmdlineOf(pid) ?? '').includes(node.configPath);
    console.log(`${node.name}\t${node.host}:${node.port}\tpid ${pid}\t${alive ? 'up' : 'down'}`);
  }
}

/** Sum of VmRSS and Pss (smaps_rollup) over the pids, in KiB. */
function memoryKiB(pids: number[]): { rss: number; pss: number } {
  let rss = 0;
  let pss = 0;
  for (const pid of pids) {
    try {
      rss += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      pss += Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {
      // process vanished
    }
  }
  return { rss, pss };
}

async function measure(positional: string[]): Promise<void> {
  const sizes = positional.length > 0 ? positional.map(Number) : [10, 50, 200];
  for (const count of sizes) {
    const cluster = await startSshdCluster({ count });
    const pids = cluster.nodes.map((n) => n.pid);
    const extra = descendantsOf(pids, childrenByParent()).length;
    await new Promise((resolve) => setTimeout(resolve, 500)); // let lazily touched pages settle
    const mem = memoryKiB(pids);
    const downStart = Date.now();
    await cluster.down();
    console.log(
      `N=${count}: start ${cluster.startupMs} ms, down ${Date.now() - downStart} ms, ` +
        `idle sshds RSS ${(mem.rss / 1024).toFixed(0)} MiB (${(mem.rss / count / 1024).toFixed(2)} MiB each), ` +
        `PSS ${(mem.pss / 1024).toFixed(0)} MiB, stray children ${extra}`,
    );
  }
}

const [command, ...rest] = process.argv.slice(2);
const { positional, flags } = parseArgs(rest);
try {
  if (command === 'up') await up(positional, flags);
  else if (command === 'down') await down(positional, flags);
  else if (command === 'status') status(positional);
  else if (command === 'measure') await measure(positional);
  else fail(USAGE);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
process.exit(0);
