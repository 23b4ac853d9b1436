#!/usr/bin/env node
import fs from 'node:fs';
import { parseCliArgs, USAGE, type CliArgs } from './cli-args.js';
import { quoteWord } from './tokenize.js';
import { dustHome as defaultDustHome } from '../config/paths.js';
import { loadConfig } from '../config/load-config.js';
import { TerminalOutput } from '../output/terminal-output.js';
import { DustApp, ensureDustHome } from './app.js';
import { InteractiveShell } from './interactive.js';
import { runScript } from './script-runner.js';
import { NoTerminalPrompter, TerminalPrompter } from './prompter.js';
import { prepareEc2 } from '../ec2/wiring.js';
import { DustError, formatError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

function readVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

async function main(argv: readonly string[]): Promise<number> {
  // `dust emulator [--port N]` is the `emulator` command run as a script line (its flags are its own).
  if (argv[0] === 'emulator') argv = ['-c', argv.map(quoteWord).join(' ')];
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (err) {
    process.stderr.write(`dust: ${formatError(err)}\n${USAGE}\n`);
    return 2;
  }
  const version = readVersion();
  if (args.help) {
    process.stdout.write(`dust ${version} — an interactive shell for many machines at once\n\n${USAGE}\n`);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const debug = args.verbose || (process.env['DUST_DEBUG'] ?? '') !== '';
  const out = new TerminalOutput(process.stdout, process.stderr, { ...(args.color === undefined ? {} : { color: args.color }), debug, json: args.json });
  const home = defaultDustHome();
  ensureDustHome(home);
  let loaded;
  try {
    loaded = await loadConfig({ explicitFile: args.config, dustHome: home });
  } catch (err) {
    out.error(err);
    return 2;
  }
  const interactive = args.commands.length === 0 && process.stdin.isTTY === true && process.stdout.isTTY === true;
  if (args.timeout !== undefined) loaded.config.run.timeout = args.timeout;
  // The demo: embedded SSH nodes behind an in-process EC2 emulator (src/ec2/demo.ts); loaded only when asked for.
  let demo: import('../ec2/demo.js').DemoSession | undefined;
  if (args.demo) {
    try {
      const { startDemo } = await import('../ec2/demo.js');
      demo = await startDemo({ dustHome: home });
    } catch (err) {
      out.error(err);
      return 2;
    }
    out.info(demo.banner);
  }
  const ec2 = prepareEc2({
    cli: { region: args.region, profile: args.profile, endpointUrl: args.endpointUrl },
    config: loaded.config,
    dustHome: home,
    ...(demo ? { integration: demo.ec2, leadingRules: demo.loginRules } : {}),
  });
  let shell: InteractiveShell | undefined;
  const prompter = interactive
    ? new TerminalPrompter(process.stdin, process.stdout, () => shell!.keyboard.borrow())
    : new NoTerminalPrompter();
  const app = new DustApp({
    version,
    dustHome: home,
    loaded,
    out,
    prompt: prompter,
    terminal: {
      withTerminal: (fn) => (shell ? shell.withTerminal(fn) : fn({ input: process.stdin, output: process.stdout })),
    },
    ...(demo ? { extraKnownHosts: [demo.knownHostsFile] } : {}),
    extraProviders: ec2.providers,
    interactive,
  });
  app.closers.push(() => ec2.close());
  if (demo) app.closers.push(() => demo.close());
  // Last line of defence: a stray error from a plugin's timer or a library callback is reported in one
  // line and the shell keeps running (every known path already catches its own errors).
  process.on('uncaughtException', (err) => out.error(new DustError(ErrorCodes.CommandFailed, `unexpected error: ${formatError(err)}`, { hint: 'dust kept running; --verbose shows the stack', cause: err })));
  process.on('unhandledRejection', (err) => out.error(new DustError(ErrorCodes.CommandFailed, `unexpected error: ${formatError(err)}`, { hint: 'dust kept running; --verbose shows the stack', cause: err })));
  await app.loadPlugins();
  await ec2.attach(app);
  if (!interactive) {
    const onSigint = () => {
      if (!app.runner.interrupt()) process.exit(130);
    };
    process.on('SIGINT', onSigint);
    const stdin = args.commands.length === 0 ? process.stdin : undefined;
    return runScript(app, args.commands, stdin);
  }
  shell = new InteractiveShell(app, out, process.stdin, process.stdout);
  await shell.run();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Sessions and timers are closed by now; leave promptly even if a stray handle remains.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (err: unknown) => {
    process.stderr.write(`dust: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(70);
  },
);
