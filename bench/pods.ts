/**
 * Pods vs SSH nodes, in one run: N pods on dust's Kubernetes emulator (its own process: API server, WebSocket
 * exec, a PTY shell per pod) and N loopback sshds (test/harness, plain sessions), driven by one in-process DustApp
 * that has both in its inventory.
 *
 *   npm run bench:pods -- [--n 50] [--reps 7] [--copy-mb 64]
 *
 * Measures: warm `@pod* true` vs warm `@node* true` (sessions open; medians, interleaved); cold open of N pod
 * shells vs N SSH sessions (a fresh DustApp, inventory already listed, first `@… true`); RSS per session of each
 * kind (child processes); put and get of one big file to one pod vs one SSH node. Writes
 * bench/results/pods-latest.md. Never part of `npm test`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSshdCluster, type SshdCluster } from '../test/harness/sshd-cluster.js';
import { makeDustApp, runOk } from './lib/dust-app.js';
import { median, now } from './lib/util.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const arg = (flag: string, dflt: string): string => { const i = argv.indexOf(flag); return i >= 0 ? argv[i + 1]! : dflt; };
const N = Number(arg('--n', '50'));
const reps = Number(arg('--reps', '7'));
const copyMb = Number(arg('--copy-mb', '64'));
const log = (s: string): void => { process.stderr.write(`${s}\n`); };
const fmt = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-bench-pods-'));
let cluster: SshdCluster | undefined;
let emulator: ChildProcess | undefined;

async function startEmulator(kubeconfig: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'lib', 'kube-emulator-child.ts'), String(N), kubeconfig, path.join(work, 'pods')], {
    cwd: path.dirname(here), stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const t0 = now();
  while (!out.includes('ready ')) {
    if (child.exitCode !== null || now() - t0 > 120_000) throw new Error(`the emulator did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

function writeConfig(kubeconfig: string): string {
  const lines = [
    'sshConfig: false',
    'hostKeyChecking: accept-new',
    'ssh:',
    '  connectTimeoutMs: 60000',
    'kubernetes:',
    `  kubeconfig: ${kubeconfig}`,
    '  namespace: bench',
    'nodes:',
    ...cluster!.nodes.map((n) => `  - { name: ${n.name}, host: ${n.host}, port: ${n.port}, cluster: ssh }`),
    'logins:',
    "  - selector: 'source=static'",
    `    user: ${cluster!.user}`,
    `    identityFile: ${cluster!.clientKeyPath}`,
  ];
  const file = path.join(work, 'dust.yaml');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const freshHome = (): string => fs.mkdtempSync(path.join(work, 'home-'));

async function time(fn: () => Promise<void>): Promise<number> {
  const t0 = now();
  await fn();
  return now() - t0;
}

function rssChild(config: string, target: string): Promise<{ sessions: number; perSessionMiB: number; heapPerSessionKiB: number; beforeMiB: number; afterMiB: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(here, 'pods-rss-child.ts'), config, freshHome(), target], {
      cwd: path.dirname(here), stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('close', (code) => {
      try {
        const j = JSON.parse(out.trim().split('\n').pop() ?? '') as { sessions: number; before: NodeJS.MemoryUsage; after: NodeJS.MemoryUsage };
        const mib = (b: number): number => b / 1024 / 1024;
        resolve({
          sessions: j.sessions,
          beforeMiB: mib(j.before.rss),
          afterMiB: mib(j.after.rss),
          perSessionMiB: mib(j.after.rss - j.before.rss) / j.sessions,
          heapPerSessionKiB: (j.after.heapUsed - j.before.heapUsed) / 1024 / j.sessions,
        });
      } catch (err) {
        reject(new Error(`rss child (exit ${code}): ${String(err)} ${out.slice(0, 200)}`));
      }
    });
  });
}

async function main(): Promise<string[]> {
  const load0 = os.loadavg();
  log(`starting ${N} sshds and the Kubernetes emulator with ${N} pods ...`);
  const kubeconfig = path.join(work, 'kubeconfig');
  [cluster, emulator] = await Promise.all([startSshdCluster({ count: N, plainSessions: true }), startEmulator(kubeconfig)]);
  const config = writeConfig(kubeconfig);
  const pods = `pod[0-${N - 1}]`;
  const nodes = `node[0-${N - 1}]`;

  // Cold: a fresh engine each time, the inventory listed first (client-node's load and the pod LIST are not the
  // shells' cost), then the first line opens every session.
  log('cold opens ...');
  const cold = { pods: [] as number[], ssh: [] as number[], firstList: [] as number[] };
  for (let i = 0; i < Math.min(reps, 5); i++) {
    for (const [kind, target] of [['pods', pods], ['ssh', nodes]] as const) {
      const app = await makeDustApp(config, freshHome());
      try {
        const listed = await time(() => runOk(app, 'show'));
        if (kind === 'pods') cold.firstList.push(listed);
        cold[kind].push(await time(() => runOk(app, `@${target} true`)));
      } finally {
        await app.shutdown();
      }
    }
  }

  log('warm rounds ...');
  const warm = { pods: [] as number[], ssh: [] as number[] };
  const app = await makeDustApp(config, freshHome());
  try {
    await runOk(app, `@${pods} true`);
    await runOk(app, `@${nodes} true`);
    for (let i = 0; i < reps; i++) {
      warm.pods.push(await time(() => runOk(app, `@${pods} true`)));
      warm.ssh.push(await time(() => runOk(app, `@${nodes} true`)));
    }

    log(`put/get of ${copyMb} MB ...`);
    const big = path.join(work, 'big.bin');
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 131 + 7) & 0xff;
    fs.writeFileSync(big, Buffer.concat(Array.from({ length: copyMb }, () => chunk)));
    const node0Home = cluster.nodes[0]!.homeDir;
    const copy = { podPut: [] as number[], podGet: [] as number[], sshPut: [] as number[], sshGet: [] as number[] };
    for (let i = 0; i < Math.min(reps, 3); i++) {
      const into = fs.mkdtempSync(path.join(work, 'got-'));
      copy.podPut.push(await time(() => runOk(app, `put ${big} pod0 .`)));
      copy.sshPut.push(await time(() => runOk(app, `put ${big} node0 ${node0Home}`)));
      copy.podGet.push(await time(() => runOk(app, `get pod0 big.bin ${into}`)));
      copy.sshGet.push(await time(() => runOk(app, `get node0 ${node0Home}/big.bin ${into}`)));
      for (const who of ['pod0', 'node0']) {
        if (fs.statSync(path.join(into, who, 'big.bin')).size !== copyMb * 1024 * 1024) throw new Error(`get from ${who}: wrong size`);
      }
      fs.rmSync(into, { recursive: true, force: true });
    }

    log('RSS per session (child processes) ...');
    const rssPods = await rssChild(config, pods);
    const rssSsh = await rssChild(config, nodes);

    const wp = median(warm.pods), ws = median(warm.ssh);
    const cp = median(cold.pods), cs = median(cold.ssh);
    const mbps = (ms: number): string => `${(copyMb / (ms / 1000)).toFixed(0)} MB/s`;
    return [
      `# Pods vs SSH nodes (${new Date().toISOString().slice(0, 10)}, N=${N}, ${os.cpus().length} cores, load ${load0.map((x) => x.toFixed(1)).join('/')} → ${os.loadavg().map((x) => x.toFixed(1)).join('/')})`,
      '',
      `One in-process DustApp with both in its inventory: ${N} pods on dust's Kubernetes emulator (a process of its own:`,
      `HTTPS API, WebSocket exec v5, a PTY shell per pod) and ${N} loopback sshds (plain sessions). Medians of ${reps} warm`,
      `rounds (interleaved), ${cold.pods.length} cold opens, ${copy.podPut.length} copies.`,
      '',
      '| measurement | pods | SSH nodes | pods ÷ SSH |',
      '|---|---|---|---|',
      `| warm \`@… true\` on ${N} | ${fmt(wp)} | ${fmt(ws)} | ${(wp / ws).toFixed(2)}× |`,
      `| cold open of ${N} shells + first \`true\` | ${fmt(cp)} | ${fmt(cs)} | ${(cp / cs).toFixed(2)}× |`,
      `| RSS per open session | ${rssPods.perSessionMiB.toFixed(3)} MiB (heap ${rssPods.heapPerSessionKiB.toFixed(0)} KiB) | ${rssSsh.perSessionMiB.toFixed(3)} MiB (heap ${rssSsh.heapPerSessionKiB.toFixed(0)} KiB) | ${(rssPods.perSessionMiB / rssSsh.perSessionMiB).toFixed(2)}× |`,
      `| put ${copyMb} MB to one | ${fmt(median(copy.podPut))} (${mbps(median(copy.podPut))}) | ${fmt(median(copy.sshPut))} (${mbps(median(copy.sshPut))}) | ${(median(copy.podPut) / median(copy.sshPut)).toFixed(2)}× |`,
      `| get ${copyMb} MB from one | ${fmt(median(copy.podGet))} (${mbps(median(copy.podGet))}) | ${fmt(median(copy.sshGet))} (${mbps(median(copy.sshGet))}) | ${(median(copy.podGet) / median(copy.sshGet)).toFixed(2)}× |`,
      '',
      `First inventory read with Kubernetes on (client-node loaded in a fresh engine only the first time; LIST of ${N} pods): ${cold.firstList.map(fmt).join(', ')}.`,
      `RSS of the engine before sessions: pods run ${rssPods.beforeMiB.toFixed(0)} MiB, SSH run ${rssSsh.beforeMiB.toFixed(0)} MiB (both load client-node: Kubernetes is on in the config).`,
      '',
      `Samples (ms): warm pods ${warm.pods.map((x) => x.toFixed(0)).join(' ')}; warm SSH ${warm.ssh.map((x) => x.toFixed(0)).join(' ')}; cold pods ${cold.pods.map((x) => x.toFixed(0)).join(' ')}; cold SSH ${cold.ssh.map((x) => x.toFixed(0)).join(' ')}.`,
      '',
    ];
  } finally {
    await app.shutdown();
  }
}

async function cleanup(): Promise<void> {
  if (emulator && emulator.exitCode === null) {
    const gone = new Promise((r) => emulator!.once('exit', r));
    emulator.stdin?.end();
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
    if (emulator.exitCode === null) emulator.kill('SIGKILL');
  }
  await cluster?.down();
  fs.rmSync(work, { recursive: true, force: true });
}

process.on('SIGINT', () => { void cleanup().finally(() => process.exit(130)); });
try {
  const out = await main();
  fs.mkdirSync(path.join(here, 'results'), { recursive: true });
  fs.writeFileSync(path.join(here, 'results', 'pods-latest.md'), `${out.join('\n')}\n`);
  process.stdout.write(`${out.join('\n')}\n`);
} finally {
  await cleanup();
}
