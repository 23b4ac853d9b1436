import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { runDust } from '../helpers/run-dust.js';
import { REPO_ROOT } from '../helpers/pty-driver.js';
import { composeDust } from '../../src/compose.js';
import { DustApp, ensureDustHome } from '../../src/shell/app.js';
import { loadConfig } from '../../src/config/load-config.js';
import { TerminalOutput } from '../../src/output/terminal-output.js';
import { NoTerminalPrompter } from '../../src/shell/prompter.js';

export const EXAMPLES_DIR = path.join(REPO_ROOT, 'plugins-examples');

/** Writes one drop-in plugin file into `$DUST_HOME/plugins`. */
export function writePlugin(home: string, file: string, text: string): string {
  const dir = path.join(home, 'plugins');
  fs.mkdirSync(dir, { recursive: true });
  const full = path.join(dir, file);
  fs.writeFileSync(full, text);
  return full;
}

/** Copies an example from plugins-examples/ into `$DUST_HOME/plugins`, as a user would install it. */
export function installExample(home: string, file: string): string {
  return writePlugin(home, file, fs.readFileSync(path.join(EXAMPLES_DIR, file), 'utf8'));
}

/** A text sink that collects what dust printed (no TTY, no colour). */
class Capture extends PassThrough {
  text = '';
  constructor() {
    super();
    this.on('data', (d: Buffer) => {
      this.text += d.toString('utf8');
    });
  }
}

export interface TestApp {
  app: DustApp;
  /** Everything printed to stdout / stderr since the app was built. */
  stdout(): string;
  stderr(): string;
  /** Output produced after `mark` (a value of `all().length`). */
  since(mark: number): string;
  all(): string;
  run(line: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * A DustApp wired exactly as src/shell/main.ts wires it (real config loading, real sessions, real plugin
 * loading), with its output captured. `configFile` is optional (no config: empty inventory).
 */
export async function buildApp(opts: { home: string; configFile?: string; debug?: boolean; interactive?: boolean }): Promise<TestApp> {
  ensureDustHome(opts.home);
  const loaded = await loadConfig({ explicitFile: opts.configFile, dustHome: opts.home, cwd: opts.home });
  const stdout = new Capture();
  const stderr = new Capture();
  let combined = '';
  stdout.on('data', (d: Buffer) => { combined += d.toString('utf8'); });
  stderr.on('data', (d: Buffer) => { combined += d.toString('utf8'); });
  const out = new TerminalOutput(stdout, stderr, { color: false, debug: opts.debug ?? false });
  const prompt = new NoTerminalPrompter();
  // As main.ts does: the one composition root.
  const app = await composeDust({
    version: readPackageVersion(), dustHome: opts.home, loaded, out, prompt, interactive: opts.interactive ?? false,
    terminal: { withTerminal: (fn) => fn({ input: process.stdin, output: process.stdout }) },
  });
  return {
    app,
    stdout: () => stdout.text,
    stderr: () => stderr.text,
    all: () => combined,
    since: (mark) => combined.slice(mark),
    run: (line) => app.runner.runLine(line),
    close: () => app.shutdown(),
  };
}

export function readPackageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Runs the built CLI (`node dist/shell/main.js ...`) with DUST_HOME=home, no TTY, no colour. */
export function dustCli(args: string[], opts: { home: string; env?: Record<string, string>; cwd?: string; input?: string }) {
  return runDust(args, opts);
}

/** Polls `check` until it returns true (never a fixed sleep); fails after `timeoutMs`. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 30000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
