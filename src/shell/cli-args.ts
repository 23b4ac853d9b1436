import { parseArgs } from 'node:util';

export interface CliArgs {
  help: boolean;
  version: boolean;
  /** Lines to run in order: each `-c LINE`, then the words after the options joined into one line. */
  commands: string[];
  config: string | undefined;
  verbose: boolean;
  color: boolean | undefined;
  demo: boolean;
  region: string | undefined;
  profile: string | undefined;
  endpointUrl: string | undefined;
  /** Kubernetes: any of these turns it on (KUBECONFIG alone does not). */
  kubeconfig: string | undefined;
  kubeContext: string | undefined;
  namespace: string | undefined;
  json: boolean;
  /** Default `--timeout` (seconds) for every line that runs on nodes. */
  timeout: number | undefined;
  socket: string | undefined;
  noServer: boolean;
  /** Exit status: the largest remote exit code of any line (`clush -S`, config `run.exitStatus: max`). */
  maxRc: boolean;
  /** Stop the script at the first line that fails (`set -e`, config `run.stopOnError`). */
  stopOnError: boolean;
  /** Never read stdin as input for the nodes (`clush --nostdin`). */
  noStdin: boolean;
  /** Lines run on nodes without a PTY by default (config `run.pty: false`). */
  noPty: boolean;
  /** Per-node output files for every line run on nodes (config `run.outdir`). */
  outdir: string | undefined;
  /** Default `--fanout` for every line run on nodes (config `run.fanout`). */
  fanout: number | undefined;
  /** Default `--max-errors` (a count or `P%`; config `run.maxErrors`). */
  maxErrors: string | undefined;
  /** The arguments that were dust's options (what comes before the line). */
  optionArgs: string[];
}

/** Words that, first on the command line, are dust subcommands rather than a line to run. */
export const SUBCOMMANDS: readonly string[] = ['serve', 'attach', 'run', 'status', 'completion'];

export const USAGE = `usage: dust [options]                 interactive cluster shell
       dust [options] LINE...           run one line and exit (dust show -v = dust -c 'show -v')
       dust -c LINE [-c LINE ...]       run lines non-interactively (exit 0 only if all succeed)
       dust < script.dust               lines from stdin when it is not a terminal
       dust serve [--socket P] [--connect TARGET] [--quiet]
                                        hold the sessions for clients on a unix socket (see docs/protocol.md)
       dust attach [--socket P]         the interactive shell on a running server (leaving keeps it running)
       dust run [--pty] TARGET CMD...   CMD on TARGET like clush: no PTY, stderr apart, stdin to each node; warm
                                        through a running server (--pty: in the nodes' persistent shells)
       dust status [--json]             what a running server holds: sessions, who runs what, clients
       echo data | dust -c '@* cmd'     with -c lines, stdin is the nodes' input (each node gets all of it)
       dust completion bash|zsh         print a shell completion script (see its first lines)
       dust emulator [--port N]         serve the EC2 emulator on loopback

LINE...: the words after dust's options, joined with spaces into one line as ssh joins a remote command;
quote a line with pipes or quotes whole: dust '@web* tail -n1 /var/log/syslog | cut -c1-80'. Options after
the first word are the line's. Subcommand words (${SUBCOMMANDS.join(', ')}) are not lines: use -c for those.
With a running \`dust serve\` (socket: --socket, DUST_SOCKET, or the default for DUST_HOME), -c lines and stdin
scripts run on it, warm; --no-server runs them here. --config, --demo, the EC2 and the Kubernetes options always
run here.

options:
  -c, --command LINE     run LINE (repeatable; in order; one session)
      --config FILE      use this config file instead of searching
      --region NAME      EC2 region (default: AWS_REGION, AWS_DEFAULT_REGION, profile, config)
      --profile NAME     AWS profile
      --endpoint-url URL EC2-compatible endpoint (LocalStack, moto, dust emulator)
      --kube-context NAME  Kubernetes: the pods of this kubeconfig context become nodes
      --kubeconfig FILE  Kubernetes: this kubeconfig (default KUBECONFIG, ~/.kube/config)
      --namespace NS     Kubernetes: pods of this namespace ('*' = all; default the context's)
      --demo             start on the built-in demo cluster (no AWS account or sshd needed)
      --json             stdout: one JSON object per line (records: see README); everything else on stderr
  -t, --timeout SECONDS  interrupt nodes still running a line after SECONDS (reported as timeout)
      --socket PATH      the dust serve socket to use (default: DUST_SOCKET, or the one for DUST_HOME)
      --no-server        run here even when a dust serve is running
      --no-pty           run lines on nodes without a terminal (stdout/stderr apart; default with --json)
      --fanout N         at most N nodes run a line at once (rolling)
      --max-errors N|P%  once more than N nodes (P% of them) failed, start no further node (they are skipped)
      --outdir DIR       every node's output in DIR/<node>.out (.err without a PTY), DIR/summary.json
  -e, --stop-on-error    end the script at the first line that fails, with that line's status
      --max-rc           exit status: the largest exit code any node returned (unreachable, timeout: 255)
      --no-stdin         with -c lines, do not send stdin to the nodes (when stdin is an open pipe)
  -v, --verbose          stack traces for errors (also DUST_DEBUG=1)
      --no-color         no colours (also NO_COLOR=1, FORCE_COLOR=0, TERM=dumb)
  -h, --help             this help
  -V, --version          print the version

exit status: 0 all lines succeeded; 1 a line failed (a node failed or was unreachable, an error, an
inventory source failed); 2 bad arguments or config; 141 stdout closed early (dust ... | head). With --max-rc:
the largest remote exit code instead of 1 (255 for unreachable or timed-out nodes, 1 for a line's own error).
Kubernetes is on with any of the three options or a kubernetes: section in the config; KUBECONFIG alone
does not turn it on (docs/kubernetes.md).
environment: DUST_HOME (default ~/.cluster): history, known_hosts, plugins/, config.yaml
docs: README.md, docs/ (config, targets, plugins, errors)`;

/** dust's own options (parseArgs' table; also what shell completion offers). */
export const CLI_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  command: { type: 'string', short: 'c', multiple: true },
  config: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  color: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  demo: { type: 'boolean' },
  region: { type: 'string' },
  profile: { type: 'string' },
  'endpoint-url': { type: 'string' },
  'kube-context': { type: 'string' },
  kubeconfig: { type: 'string' },
  namespace: { type: 'string' },
  json: { type: 'boolean' },
  timeout: { type: 'string', short: 't' },
  socket: { type: 'string' },
  'no-server': { type: 'boolean' },
  'no-pty': { type: 'boolean' },
  fanout: { type: 'string' },
  'max-errors': { type: 'string' },
  outdir: { type: 'string' },
  'stop-on-error': { type: 'boolean', short: 'e' },
  'max-rc': { type: 'boolean' },
  'no-stdin': { type: 'boolean' },
} as const;

/** One line per option, for completion menus (zsh shows them); USAGE above is the full text. */
export const CLI_OPTION_SUMMARIES: Record<keyof typeof CLI_OPTIONS, string> = {
  help: 'show the usage',
  version: 'print the version',
  command: 'run a line (repeatable, in order)',
  config: 'use this config file',
  verbose: 'stack traces for errors',
  color: 'colours even off a terminal',
  'no-color': 'no colours',
  demo: 'start on the built-in demo cluster',
  region: 'EC2 region',
  profile: 'AWS profile',
  'endpoint-url': 'EC2-compatible endpoint',
  'kube-context': 'Kubernetes context: its pods become nodes',
  kubeconfig: 'Kubernetes: this kubeconfig file',
  namespace: "Kubernetes namespace ('*' = all)",
  json: 'NDJSON results on stdout',
  timeout: 'interrupt nodes after SECONDS',
  socket: 'the dust serve socket',
  'no-server': 'run here even when a server runs',
  'no-pty': 'lines on nodes without a terminal',
  fanout: 'at most N nodes at once',
  'max-errors': 'stop starting nodes after N (P%) failures',
  outdir: 'per-node output files in DIR',
  'stop-on-error': 'end the script at the first failing line',
  'max-rc': 'exit status: largest remote exit code',
  'no-stdin': 'do not send stdin to the nodes',
};

/** Words that, first on the command line, are not options: `dust completion bash`, `dust emulator --port 4566`. */
export const CLI_SUBCOMMANDS: Readonly<Record<string, string>> = {
  completion: 'print a bash or zsh completion script',
  emulator: 'serve the EC2 emulator on loopback',
};

/** Options that take a value: the word after them is that value, not the start of a line. */
const VALUE_OPTIONS = new Set(['-c', '--command', '--config', '--region', '--profile', '--endpoint-url', '-t', '--timeout', '--socket', '--kube-context', '--kubeconfig', '--namespace', '--fanout', '--max-errors', '--outdir']);

/**
 * Script options the `dust serve` protocol does not carry (yet): lines that use them run in an engine of their own
 * rather than on a running server's sessions, so that they mean what they say.
 */
export function needsOwnEngine(args: CliArgs): boolean {
  return args.maxRc || args.stopOnError || args.noPty || args.outdir !== undefined || args.fanout !== undefined || args.maxErrors !== undefined;
}

/** Thrown for arguments dust cannot use; main prints it with the usage and exits 2. */
export class CliUsageError extends Error {}

export function parseCliArgs(argv: readonly string[]): CliArgs {
  const { options, line } = splitAtLine(argv);
  const { values } = parseArgs({ args: options, allowPositionals: false, strict: true, options: CLI_OPTIONS });
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout >= 0)) {
    throw new CliUsageError(`--timeout: '${values.timeout}' is not a number of seconds (e.g. --timeout 30, or 0 for no limit)`);
  }
  const fanout = values.fanout === undefined ? undefined : Number(values.fanout);
  if (fanout !== undefined && !(Number.isInteger(fanout) && fanout >= 1)) {
    throw new CliUsageError(`--fanout: '${values.fanout}' is not a number of nodes (e.g. --fanout 32)`);
  }
  if (values['max-errors'] !== undefined && !/^\d+(\.\d+)?%$|^\d+$/.test(values['max-errors'])) {
    throw new CliUsageError(`--max-errors: '${values['max-errors']}' is not a number of nodes or a percentage (e.g. --max-errors 0, 5, 10%)`);
  }
  if (values.outdir === '') throw new CliUsageError('--outdir: give a directory');
  for (const name of ['kube-context', 'kubeconfig', 'namespace'] as const) {
    if (values[name] !== undefined && values[name].trim() === '') throw new CliUsageError(`--${name} needs a value (e.g. --${name} ${name === 'namespace' ? "prod, or '*' for every namespace" : name === 'kubeconfig' ? '~/.kube/config' : 'prod'})`);
  }
  const first = line[0];
  if (first !== undefined && SUBCOMMANDS.includes(first)) {
    throw new CliUsageError(`'${first}' is a dust subcommand and goes first (dust ${first} ...); to run a line starting with it: dust -c '${line.join(' ')}'`);
  }
  const commands = [...(values.command ?? [])];
  // One word is taken as the whole line (dust '@* a | b'); several are joined as ssh joins a remote command.
  if (line.length > 0) commands.push(line.join(' '));
  return {
    help: values.help ?? false,
    version: values.version ?? false,
    commands,
    config: values.config,
    verbose: values.verbose ?? false,
    color: values['no-color'] ? false : values.color,
    demo: values.demo ?? false,
    region: values.region,
    profile: values.profile,
    endpointUrl: values['endpoint-url'],
    kubeconfig: values.kubeconfig,
    kubeContext: values['kube-context'],
    namespace: values.namespace,
    json: values.json ?? false,
    timeout,
    socket: values.socket,
    noServer: values['no-server'] ?? false,
    maxRc: values['max-rc'] ?? false,
    stopOnError: values['stop-on-error'] ?? false,
    noStdin: values['no-stdin'] ?? false,
    noPty: values['no-pty'] ?? false,
    outdir: values.outdir,
    fanout,
    maxErrors: values['max-errors'],
    optionArgs: options,
  };
}

/**
 * dust's options come first; the first word that is neither an option nor an option's value starts the
 * line, and everything from there on is the line's (`dust show -v`: -v is show's, not dust's --verbose).
 * `--` ends the options explicitly.
 */
function splitAtLine(argv: readonly string[]): { options: string[]; line: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return { options: argv.slice(0, i), line: argv.slice(i + 1) };
    if (!arg.startsWith('-') || arg === '-') return { options: argv.slice(0, i), line: argv.slice(i) };
    // `-c LINE`, `--config FILE`, and `-vc LINE` (short flags bundled, the last one taking the value).
    if (VALUE_OPTIONS.has(arg) || /^-[a-zA-Z]*[ct]$/.test(arg)) i++;
  }
  return { options: [...argv], line: [] };
}
