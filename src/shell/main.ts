#!/usr/bin/env node
/**
 * The `dust` entry point, kept tiny on purpose: `--version` and `--help` are answered from here, before
 * anything heavy is imported (the app, ssh2, cosmiconfig, zod: ~200 ms of loading); only real work
 * loads ./cli.js.
 */
import fs from 'node:fs';
import { CliUsageError, needsOwnEngine, parseCliArgs, USAGE, type CliArgs } from './cli-args.js';

/** `dust ... | head -2`: once the reader is gone, stop quietly with SIGPIPE's status, as Unix tools do. */
function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(141);
    throw err;
  });
}

/** A server's socket is named (--socket) or exists where the default one would be. */
async function serverMayListen(explicit: string | undefined): Promise<boolean> {
  if (explicit !== undefined) return true;
  const [{ defaultSocketPath }, { dustHome }] = await Promise.all([import('../server/socket-path.js'), import('../config/paths.js')]);
  return fs.existsSync(defaultSocketPath(dustHome()));
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

async function main(argv: readonly string[]): Promise<number> {
  exitQuietlyOnClosedPipe(process.stdout);
  exitQuietlyOnClosedPipe(process.stderr);
  // `dust completion bash|zsh` prints a script; `dust __complete …` answers it on each Tab (src/completion).
  if (argv[0] === 'completion' || argv[0] === '__complete') {
    const { runCompletionCommand } = await import('../completion/command.js');
    return runCompletionCommand(argv, readVersion());
  }
  // The server and its clients. Clients load the protocol and the socket, never the engine.
  if (argv[0] === 'serve') {
    const { runServe } = await import('./serve.js');
    return runServe(argv.slice(1), readVersion());
  }
  if (argv[0] === 'attach' || argv[0] === 'status' || argv[0] === 'run') {
    const { runClientCommand } = await import('../client/commands.js');
    return runClientCommand(argv[0], argv.slice(1), readVersion());
  }
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (err) {
    const message = err instanceof CliUsageError || err instanceof TypeError ? err.message : String(err);
    process.stderr.write(`dust: ${message}\n${USAGE}\n`);
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
  // chalk's colour detection reads --color/--no-color from process.argv: only dust's own options may
  // count, not a word of the line (`dust @* grep --color=always x` must not colour a pipe).
  process.argv = [...process.argv.slice(0, 2), ...args.optionArgs];
  // Lines for a running `dust serve` (warm sessions), unless they need an engine of their own.
  const scripted = args.commands.length > 0 || process.stdin.isTTY !== true;
  let piped: Awaited<ReturnType<typeof import('./stdin-kind.js').preloadStdin>> | undefined;
  if (scripted && !args.noServer && !needsOwnEngine(args) && args.config === undefined && !args.demo && args.region === undefined && args.profile === undefined && args.endpointUrl === undefined
    && args.kubeconfig === undefined && args.kubeContext === undefined && args.namespace === undefined) {
    // Piped input for the nodes (`tar c x | dust -c '@* tar x'`) must reach them, and the server protocol does not
    // carry it: when a server may be listening, stdin is read now, and input runs the lines here instead.
    if (args.commands.length > 0 && !args.noStdin && await serverMayListen(args.socket)) {
      const stdin = await import('./stdin-kind.js');
      if (stdin.stdinMayHoldInput()) piped = await stdin.preloadStdin();
    }
    if (piped === undefined || piped.empty) {
      const { tryScriptOnServer } = await import('../client/commands.js');
      const code = await tryScriptOnServer(args);
      if (code !== undefined) return code;
    }
  }
  const { runCli } = await import('./cli.js');
  return runCli(args, version, piped?.input);
}

let settled = false;
// Node leaves when nothing is left to wait for, even with dust's work unfinished (a request whose answer can never
// come): that must never read as success to a script.
process.once('beforeExit', () => {
  if (settled) return;
  process.stderr.write('dust: internal error: stopped before the work was done (nothing left to wait for)\n');
  process.exit(70);
});

main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exitCode = code;
    // Sessions and timers are closed by now; leave promptly even if a stray handle remains.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (err: unknown) => {
    settled = true;
    process.stderr.write(`dust: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(70);
  },
);
