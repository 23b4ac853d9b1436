import type { CliArgs } from './cli-args.js';
import { dustHome as defaultDustHome } from '../config/paths.js';
import { loadConfig } from '../config/load-config.js';
import { TerminalOutput } from '../output/terminal-output.js';
import { ensureDustHome, type DustApp } from './app.js';
import { composeDust } from '../compose.js';
import { InteractiveShell } from './interactive.js';
import { localRuntime } from './local-runtime.js';
import { runScript } from './script-runner.js';
import { LocalStdin } from './local-stdin.js';
import type { DustConfig } from '../config/schema.js';
import { NoTerminalPrompter, TerminalPrompter } from './prompter.js';
import { DustError, formatError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

/**
 * Everything after the arguments: config, the app, plugins, EC2, then script mode or the interactive shell.
 * Imported by main.ts only when there is work to do (`--version` and `--help` never load it).
 * Resolves to the exit status. `preread`: stdin already read by main.ts for the nodes (a server was listening).
 */
export async function runCli(args: CliArgs, version: string, preread?: LocalStdin): Promise<number> {
  const debug = args.verbose || (process.env['DUST_DEBUG'] ?? '') !== '';
  const out = new TerminalOutput(process.stdout, process.stderr, { ...(args.color === undefined ? {} : { color: args.color }), debug, json: args.json });
  const home = defaultDustHome();
  let loaded;
  try {
    ensureDustHome(home);
    loaded = await loadConfig({ explicitFile: args.config, dustHome: home });
  } catch (err) {
    out.error(err);
    return 2;
  }
  const interactive = args.commands.length === 0 && process.stdin.isTTY === true && process.stdout.isTTY === true;
  applyRunOptions(args, loaded.config.run);
  let shell: InteractiveShell | undefined;
  const prompter = interactive
    ? new TerminalPrompter(process.stdin, process.stdout, () => shell!.keyboard.borrow())
    : new NoTerminalPrompter();
  let app: DustApp;
  try {
    app = await composeDust({
      version, dustHome: home, loaded, out, prompt: prompter, interactive,
      terminal: {
        withTerminal: (fn) => (shell ? shell.withTerminal(fn) : fn({ input: process.stdin, output: process.stdout })),
      },
      demo: args.demo,
      cli: { region: args.region, profile: args.profile, endpointUrl: args.endpointUrl },
      kube: { kubeconfig: args.kubeconfig, context: args.kubeContext, namespace: args.namespace },
      onDemo: (banner) => out.info(banner),
    });
  } catch (err) {
    out.error(err);
    return 2;
  }
  // Last line of defence: a stray error from a plugin's timer or a library callback is reported in one
  // line and the shell keeps running (every known path already catches its own errors).
  process.on('uncaughtException', (err) => out.error(new DustError(ErrorCodes.CommandFailed, `unexpected error: ${formatError(err)}`, { hint: 'dust kept running; --verbose shows the stack', cause: err })));
  process.on('unhandledRejection', (err) => out.error(new DustError(ErrorCodes.CommandFailed, `unexpected error: ${formatError(err)}`, { hint: 'dust kept running; --verbose shows the stack', cause: err })));
  if (!interactive) {
    const onSigint = () => {
      if (!app.runner.interrupt()) process.exit(130);
    };
    process.on('SIGINT', onSigint);
    const scriptOnStdin = args.commands.length === 0;
    if (!scriptOnStdin && !args.noStdin && process.stdin.isTTY !== true) {
      // With -c lines, a piped stdin is the nodes' input (pssh -I), read on the first line that runs on nodes.
      const input = preread ?? new LocalStdin(process.stdin);
      app.sessions.useLocalStdin(input);
      app.closers.push(() => input.dispose());
    }
    return runScript(app, args.commands, scriptOnStdin ? process.stdin : undefined, {
      exitStatus: loaded.config.run.exitStatus ?? 'any',
      stopOnError: loaded.config.run.stopOnError ?? false,
    });
  }
  shell = new InteractiveShell(localRuntime(app), out, process.stdin, process.stdout);
  await shell.run();
  return 0;
}

/** dust's options that set defaults for every line run on nodes, over the config's `run:` section. */
function applyRunOptions(args: CliArgs, run: DustConfig['run']): void {
  if (args.timeout !== undefined) run.timeout = args.timeout;
  if (args.noPty) run.pty = false;
  if (args.fanout !== undefined) run.fanout = args.fanout;
  if (args.maxErrors !== undefined) run.maxErrors = args.maxErrors.endsWith('%') ? args.maxErrors : Number(args.maxErrors);
  if (args.outdir !== undefined) run.outdir = args.outdir;
  if (args.maxRc) run.exitStatus = 'max';
  if (args.stopOnError) run.stopOnError = true;
}
