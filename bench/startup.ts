/**
 * Start-up: time from spawning the built CLI in a pseudo-terminal to its first prompt (`[dust]$ `), with an empty
 * $DUST_HOME and with the three example plugins dropped into $DUST_HOME/plugins, next to bare `node` reaching its
 * own REPL prompt. The child's CPU (user + system) is read from /proc when the prompt shows, so a loaded machine
 * inflates the wall times but much less the CPU. `--version` / `--help` are measured with hyperfine (see
 * docs/performance.md).
 *
 *   node --import tsx bench/startup.ts [--runs 20]
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import { median } from './lib/util.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 20;

/** utime + stime of a live process, in ms (NaN when it is gone already). */
function cpuMs(pid: number): number {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return NaN;
  }
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

function toPrompt(args: string[], env: NodeJS.ProcessEnv, prompt: string): Promise<{ ms: number; cpu: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = pty.spawn(process.execPath, args, { cols: 120, rows: 30, cwd: os.tmpdir(), env: env as Record<string, string> });
    let seen = '';
    const timer = setTimeout(() => { p.kill(); reject(new Error(`no prompt within 20 s: ${JSON.stringify(seen.slice(-200))}`)); }, 20_000);
    p.onExit(({ exitCode }) => {
      if (seen.includes(prompt)) return;
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited (${exitCode}) before its prompt: ${JSON.stringify(seen.slice(-300))}`));
    });
    p.onData((d) => {
      seen += d;
      if (!seen.includes(prompt)) return;
      const ms = performance.now() - t0;
      const cpu = cpuMs(p.pid);
      clearTimeout(timer);
      p.kill();
      resolve({ ms, cpu });
    });
  });
}

async function series(name: string, args: string[], env: NodeJS.ProcessEnv, prompt: string): Promise<void> {
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const r = await toPrompt(args, env, prompt);
    if (i < 2) continue; // warm-up: the page cache, not dust
    ms.push(r.ms);
    cpu.push(r.cpu);
  }
  process.stdout.write(`| ${name} | ${median(ms).toFixed(0)} ms | ${Math.min(...ms).toFixed(0)} ms | ${median(cpu).toFixed(0)} ms |\n`);
}

const work = mkdtempSync(path.join(os.tmpdir(), 'dust-startup-'));
try {
  const empty = path.join(work, 'empty');
  const three = path.join(work, 'three');
  mkdirSync(empty);
  mkdirSync(path.join(three, 'plugins'), { recursive: true });
  for (const f of readdirSync(path.join(root, 'plugins-examples'))) cpSync(path.join(root, 'plugins-examples', f), path.join(three, 'plugins', f));
  const base: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', NO_COLOR: '1', HOME: work };
  delete base['AWS_REGION'];
  delete base['AWS_DEFAULT_REGION'];
  const mainArg = process.argv.indexOf('--main');
  const main = mainArg >= 0 ? path.resolve(process.argv[mainArg + 1]!) : path.join(root, 'dist/shell/main.js');
  process.stdout.write(`load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}, ${RUNS} runs each\n\n| to the first prompt | median | best | CPU (median) |\n|---|---:|---:|---:|\n`);
  await series('bare `node` (its REPL)', ['-i'], base, '> ');
  await series('dust, empty $DUST_HOME, no config', [main], { ...base, DUST_HOME: empty }, '[dust]$ ');
  await series('dust, 3 drop-in plugins', [main], { ...base, DUST_HOME: three }, '[dust]$ ');
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
