/**
 * dust in-process, wired exactly as src/shell/main.ts does (config file → DustApp → createSessions), with a
 * TerminalOutput writing to a null sink. Lines are run through `app.runner.runLine`, as typed at the prompt.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/load-config.js';
import { TerminalOutput } from '../../src/output/terminal-output.js';
import { ensureDustHome, type DustApp } from '../../src/shell/app.js';
import { composeDust } from '../../src/shell/compose.js';
import { NoTerminalPrompter } from '../../src/shell/prompter.js';
import type { SshdCluster } from '../../test/harness/sshd-cluster.js';
import { nullSink } from './util.js';

/** Writes `<dir>/dust.yaml` listing the cluster's nodes, one login rule with the cluster key, accept-new host keys. */
export function writeBenchConfig(cluster: SshdCluster, dir: string): string {
  const lines = [
    'sshConfig: false',
    'hostKeyChecking: accept-new',
    'ssh:',
    '  connectTimeoutMs: 60000',
    'nodes:',
    ...cluster.nodes.map((n) => `  - { name: ${n.name}, host: ${n.host}, port: ${n.port}, cluster: bench }`),
    'logins:',
    "  - selector: '*'",
    `    user: ${cluster.user}`,
    `    identityFile: ${cluster.clientKeyPath}`,
  ];
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'dust.yaml');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** A fresh DustApp (no sessions open yet) reading `configFile`, printing into `sink` (default: nowhere). */
export async function makeDustApp(configFile: string, dustHome: string, sink: Writable = nullSink()): Promise<DustApp> {
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
