/** Builds a real DustApp wired to EC2 the way main.ts does, over the emulator (in process or HTTP). */
import { Writable } from 'node:stream';
import type { Prompter } from '../../src/plugins/api.js';
import type { DustApp } from '../../src/shell/app.js';
import { composeDust } from '../../src/compose.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { TerminalOutput } from '../../src/output/terminal-output.js';
import { DustError } from '../../src/errors/dust-error.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { createEc2RequestHandler, Ec2EmulatorCore, type Ec2EmulatorOptions, ManualClock } from '../../src/ec2/emulator/index.js';
import { createEc2Integration, type Ec2Integration } from '../../src/ec2/cloud-hooks.js';
import { resolveAwsSettings } from '../../src/ec2/aws-settings.js';
import type { LoginRulesStore } from '../../src/inventory/login-rules-store.js';
import type { Sleep } from '../../src/ec2/wait.js';
import { makeTempHome } from '../helpers/temp-home.js';

export const FAKE_CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' };

/** Our own Prompter interface answered from a script (not a mock of ssh2 or the SDK). */
export class ScriptedPrompter implements Prompter {
  readonly asked: string[] = [];
  constructor(public answers: (string | boolean)[] = []) {}

  confirm(question: string): Promise<boolean> {
    this.asked.push(question);
    const a = this.answers.shift();
    if (typeof a !== 'boolean') return Promise.reject(new DustError(ErrorCodes.Usage, `'${question}' needs an answer but dust is not on a terminal`, { hint: 'pass -y to confirm in scripts' }));
    return Promise.resolve(a);
  }

  ask(question: string, opts: { default?: string; validate?: (answer: string) => string | undefined } = {}): Promise<string> {
    this.asked.push(question);
    for (;;) {
      const a = this.answers.shift();
      if (typeof a !== 'string') return Promise.reject(new DustError(ErrorCodes.Usage, `no scripted answer for '${question}'`));
      const answer = a === '' ? (opts.default ?? '') : a;
      const problem = opts.validate?.(answer);
      if (problem === undefined) return Promise.resolve(answer);
      this.asked.push(`(rejected: ${problem})`);
    }
  }

  secret(question: string): Promise<string> {
    return this.ask(question);
  }
}

/** Text sink standing in for a terminal (isTTY on request) so output can be asserted. */
export class Capture extends Writable {
  text = '';
  isTTY: boolean;
  columns = 160;
  constructor(tty = false) {
    super();
    this.isTTY = tty;
  }
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString('utf8');
    cb();
  }
  take(): string {
    const t = this.text;
    this.text = '';
    return t;
  }
}

export interface Ec2AppOptions {
  emulator?: Ec2EmulatorOptions;
  /** Extra config (parsed with the real schema). */
  config?: Record<string, unknown>;
  prompter?: Prompter;
  tty?: boolean;
  /** Use this endpoint (HTTP emulator) instead of the in-process handler. */
  endpoint?: string;
  maxAttempts?: number;
  pageSize?: number;
  /** Default: a sleep that advances the emulator clock, so --wait needs no real time. */
  sleep?: Sleep;
  /** As `dust --json`: records go to `records`, everything else to `out`. */
  json?: boolean;
  /** Spec values `cluster init`/`cluster up NAME` start from (as the demo's key). */
  specDefaults?: Record<string, unknown>;
}

export interface Ec2TestApp {
  app: DustApp;
  core: Ec2EmulatorCore;
  clock: ManualClock;
  out: Capture;
  /** stdout under `json` (records only). */
  records: Capture;
  prompter: Prompter;
  ec2: Ec2Integration;
  store: LoginRulesStore;
  home: string;
  run(line: string): Promise<boolean>;
  cleanup(): void;
}

export async function ec2App(opts: Ec2AppOptions = {}): Promise<Ec2TestApp> {
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
  const core = new Ec2EmulatorCore({ clock, delays: { pending: 4000, stopping: 4000, shuttingDown: 4000 }, ...opts.emulator });
  const { home, cleanup } = makeTempHome();
  const config = ConfigSchema.parse({ region: 'us-east-1', ...opts.config });
  const settings = await resolveAwsSettings({ config, env: {}, homeDir: home, cli: opts.endpoint ? { endpointUrl: opts.endpoint } : {} });
  const ec2 = createEc2Integration(settings, {
    credentials: FAKE_CREDENTIALS,
    maxAttempts: opts.maxAttempts ?? 1,
    ...(opts.endpoint ? {} : { requestHandler: createEc2RequestHandler(core) }),
  }, opts.pageSize ? { pageSize: opts.pageSize } : {});
  if (opts.specDefaults) ec2.specDefaults = opts.specDefaults;
  const out = new Capture(opts.tty ?? false);
  const records = new Capture(false);
  const prompter = opts.prompter ?? new ScriptedPrompter();
  const sleep: Sleep = opts.sleep ?? (async (ms, signal) => {
    if (signal.aborted) return false;
    clock.advance(ms);
    await new Promise((r) => setImmediate(r));
    return !signal.aborted;
  });
  // The one composition root, with the emulator's integration in place of the AWS one.
  const app = await composeDust({
    version: '0.1.0-test',
    dustHome: home,
    loaded: { config, file: undefined },
    out: opts.json ? new TerminalOutput(records, out, { color: false, json: true }) : new TerminalOutput(out, out, { color: false }),
    prompt: prompter,
    interactive: false,
    terminal: { withTerminal: () => Promise.reject(new Error('no terminal in tests')) },
    ec2: { integration: ec2, wait: { pollIntervalMs: 1000, sleep } },
  });
  return {
    app, core, clock, out, records, prompter, ec2, store: app.rulesStore, home,
    run: (line) => app.runner.runLine(line),
    cleanup: () => {
      ec2.close();
      cleanup();
    },
  };
}

/** Names of the nodes a target selects, through the shell state (targets, login rules and all). */
export async function namesOf(t: Ec2TestApp, target: string): Promise<string[]> {
  return (await t.app.state.resolveTarget(target)).map((n) => n.name);
}
