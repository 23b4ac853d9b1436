/**
 * dust in-process, wired exactly as src/shell/main.ts does (config file → composeDust, the one composition root),
 * with a TerminalOutput writing to a null sink. Lines are run through `app.runner.runLine`, as typed at the prompt.
 *
 * The code measured is the compiled dist/ (what `dust` runs; the bench scripts build first), not src/ through tsx:
 * tsx compiles with esbuild's keepNames, which wraps every function and closure in a `__name(...)` call, a few per
 * cent of dust's CPU on the hot paths that was never in the shipped program.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DustApp } from '../../src/shell/app.js';
import type { SshdCluster } from '../../test/harness/sshd-cluster.js';
import { nullSink } from './util.js';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist');

/** A module of the built dist/ tree, typed as its source. */
export async function fromDist<T>(rel: string): Promise<T> {
  const file = path.join(dist, rel);
  if (!fs.existsSync(file)) throw new Error(`bench: ${file} is missing; run \`npm run build\` first`);
  return (await import(pathToFileURL(file).href)) as T;
}

const loadDust = async () => ({
  config: await fromDist<typeof import('../../src/config/load-config.js')>('config/load-config.js'),
  output: await fromDist<typeof import('../../src/output/terminal-output.js')>('output/terminal-output.js'),
  app: await fromDist<typeof import('../../src/shell/app.js')>('shell/app.js'),
  compose: await fromDist<typeof import('../../src/compose.js')>('compose.js'),
  prompter: await fromDist<typeof import('../../src/shell/prompter.js')>('shell/prompter.js'),
});
let dustModules: ReturnType<typeof loadDust> | undefined;

/** Writes `<dir>/dust.yaml` listing the cluster's nodes, one login rule with the cluster key, accept-new host keys. */
export function writeBenchConfig(cluster: SshdCluster, dir: string, opts: { maxConcurrentHandshakes?: number } = {}): string {
  const lines = [
    'sshConfig: false',
    'hostKeyChecking: accept-new',
    'ssh:',
    '  connectTimeoutMs: 60000',
    ...(opts.maxConcurrentHandshakes ? [`  maxConcurrentHandshakes: ${opts.maxConcurrentHandshakes}`] : []),
    'nodes:',
    ...cluster.nodes.map((n) => `  - { name: ${n.name}, host: ${n.host}, port: ${n.port}, cluster: bench }`),
    'logins:',
    "  - selector: '*'",
    `    user: ${cluster.user}`,
    `    identityFile: ${cluster.clientKeyPath}`,
  ];
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, opts.maxConcurrentHandshakes ? `dust-${opts.maxConcurrentHandshakes}.yaml` : 'dust.yaml');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** A fresh DustApp (no sessions open yet) reading `configFile`, printing into `sink` (default: nowhere). */
export async function makeDustApp(configFile: string, dustHome: string, sink: Writable = nullSink()): Promise<DustApp> {
  const { config: { loadConfig }, output: { TerminalOutput }, app: { ensureDustHome }, compose: { composeDust }, prompter: { NoTerminalPrompter } } = await (dustModules ??= loadDust());
  ensureDustHome(dustHome);
  const loaded = await loadConfig({ explicitFile: configFile, dustHome });
  const out = new TerminalOutput(sink as NodeJS.WritableStream & { isTTY?: boolean }, sink as NodeJS.WritableStream, { color: false });
  const prompter = new NoTerminalPrompter();
  // The same composition root as the CLI and dust serve (EC2 stays off: no region in the bench config).
  return composeDust({
    version: 'bench', dustHome, loaded, out, prompt: prompter, interactive: false,
    terminal: { withTerminal: (fn) => fn({ input: process.stdin, output: process.stdout }) },
  });
}

/** Runs one line and throws unless every node succeeded (a benchmark of failures would be meaningless). */
export async function runOk(app: DustApp, line: string): Promise<void> {
  const ok = await app.runner.runLine(line);
  if (!ok) throw new Error(`dust: '${line}' did not succeed on every node`);
}
