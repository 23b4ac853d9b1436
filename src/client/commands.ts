/**
 * `dust attach`, `dust status`, `dust run`, and `-c` lines sent to a running server: finding the socket,
 * connecting, and falling back to an in-process engine where that is what the user asked for.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { CliArgs } from '../shell/cli-args.js';
import { dustHome as defaultDustHome } from '../config/paths.js';
import { defaultSocketPath } from '../server/socket-path.js';
import { connectServer, describeSelf, NoServerError } from './connection.js';
import { preloadStdin, stdinMayHoldInput } from '../shell/stdin-kind.js';

const USAGES: Record<string, string> = {
  attach: 'usage: dust attach [--socket PATH] [--no-color] [-v]',
  status: 'usage: dust status [--socket PATH] [--json]',
  run: 'usage: dust run [--json] [--timeout S] [--pty] [--no-stdin] [--socket PATH] [--no-server] TARGET COMMAND...',
};

function socketFor(explicit: string | undefined): string {
  return explicit ?? defaultSocketPath(defaultDustHome());
}

export async function runClientCommand(command: 'attach' | 'status' | 'run', argv: readonly string[], version: string): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[] = [];
  // `dust run web* ls -l`: dust's options end at the target; the command's own dashes are its own.
  let optionWords = [...argv];
  if (command === 'run') {
    let i = 0;
    while (i < argv.length && argv[i]!.startsWith('-')) i += ['--socket', '--timeout', '-t'].includes(argv[i]!) ? 2 : 1;
    optionWords = argv.slice(0, i);
    positionals = argv.slice(i);
  }
  try {
    ({ values } = parseArgs({
      args: optionWords, strict: true, allowPositionals: false,
      options: {
        socket: { type: 'string' }, json: { type: 'boolean' }, 'no-color': { type: 'boolean' }, color: { type: 'boolean' },
        verbose: { type: 'boolean', short: 'v' }, timeout: { type: 'string', short: 't' }, 'no-server': { type: 'boolean' },
        ...(command === 'run' ? { pty: { type: 'boolean' }, 'no-pty': { type: 'boolean' }, 'no-stdin': { type: 'boolean' } } as const : {}),
      },
    }) as { values: Record<string, string | boolean | undefined> });
  } catch (err) {
    process.stderr.write(`dust ${command}: ${(err as Error).message}\n${USAGES[command]}\n`);
    return 2;
  }
  const color = values['no-color'] ? false : (values['color'] as boolean | undefined);
  const socketPath = socketFor(values['socket'] as string | undefined);
  if (command === 'run') {
    if (positionals.length < 2) {
      process.stderr.write(`dust run: a target and a command are needed\n${USAGES['run']}\n`);
      return 2;
    }
    const [target, ...words] = positionals;
    const timeout = values['timeout'] === undefined ? undefined : Number(values['timeout']);
    if (/\s/.test(target!)) {
      process.stderr.write(`dust run: the target is one word ('${target}' has spaces)\n${USAGES['run']}\n`);
      return 2;
    }
    // Like clush and pssh: one exec channel per node and command, stdout and stderr apart, no colour codes; `--pty`
    // runs it in the node's persistent shell instead (its cd and exports, an interactive program's terminal).
    const pty = values['pty'] === true && values['no-pty'] !== true;
    const line = `at ${pty ? '--pty ' : '--no-pty '}${timeout === undefined ? '' : `--timeout ${timeout} `}${target!} ${words.join(' ')}`;
    const args = { commands: [line], json: values['json'] === true, verbose: values['verbose'] === true, color, timeout: undefined, socket: values['socket'], noServer: values['no-server'] === true } as const;
    // Piped input is each node's stdin (pssh -I). The server protocol does not carry it: with input, run here.
    const piped = values['no-stdin'] !== true && stdinMayHoldInput() ? await preloadStdin() : undefined;
    if (!args.noServer && (piped === undefined || piped.empty)) {
      const code = await tryScriptOnServer(args as unknown as CliArgs);
      if (code !== undefined) return code;
    }
    // No server: the same line, run here (a cold start, as `dust -c` would).
    const { parseCliArgs } = await import('../shell/cli-args.js');
    const local = parseCliArgs([...(args.json ? ['--json'] : []), ...(color === false ? ['--no-color'] : []), ...(values['no-stdin'] === true ? ['--no-stdin'] : []), '-c', line]);
    const { runCli } = await import('../shell/cli.js');
    return runCli(local, version, piped?.input);
  }
  let server;
  try {
    server = await connectServer(socketPath, describeSelf(command === 'attach' ? 'attach' : 'status', { json: values['json'] === true, verbose: values['verbose'] === true, color, timeout: undefined }));
  } catch (err) {
    if (err instanceof NoServerError) {
      process.stderr.write(`dust ${command}: ${err.message} — start one with: dust serve${values['socket'] ? ` --socket ${String(values['socket'])}` : ''}\n`);
      return 1;
    }
    process.stderr.write(`dust ${command}: ${(err as Error).message}\n`);
    return 1;
  }
  if (command === 'status') {
    const { printStatus } = await import('./status-client.js');
    return printStatus(server, values['json'] === true);
  }
  if (process.stdin.isTTY !== true || process.stdout.isTTY !== true) {
    server.close();
    process.stderr.write('dust attach: needs a terminal (for scripts: dust -c LINE, or dust run TARGET CMD)\n');
    return 2;
  }
  const { runAttached } = await import('./attach-client.js');
  return runAttached(server, { dustHome: defaultDustHome(), color, verbose: values['verbose'] === true });
}

/** Runs the script's lines on a running server; undefined when none answers (the caller runs them here). */
export async function tryScriptOnServer(args: Pick<CliArgs, 'commands' | 'json' | 'verbose' | 'color' | 'timeout' | 'socket'>): Promise<number | undefined> {
  let socketPath: string;
  try {
    socketPath = socketFor(args.socket);
  } catch {
    return undefined;
  }
  // No socket file: no server, and nothing to wait for (the usual case, one stat).
  if (args.socket === undefined && !fs.existsSync(socketPath)) return undefined;
  let server;
  try {
    server = await connectServer(socketPath, describeSelf('script', { json: args.json, verbose: args.verbose, color: args.color, timeout: args.timeout }));
  } catch (err) {
    // Only an explicit --socket that does not answer is an error; otherwise the lines run here as always.
    if (args.socket === undefined) return undefined;
    process.stderr.write(`dust: ${(err as Error).message}\n`);
    return 1;
  }
  const { runScriptOnServer } = await import('./script-client.js');
  const stdin = args.commands.length === 0 ? process.stdin : undefined;
  return runScriptOnServer(server, args.commands, stdin);
}
