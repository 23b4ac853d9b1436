import { parseArgs } from 'node:util';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

export interface CliArgs {
  help: boolean;
  version: boolean;
  commands: string[];
  config: string | undefined;
  verbose: boolean;
  color: boolean | undefined;
  demo: boolean;
  region: string | undefined;
  profile: string | undefined;
  endpointUrl: string | undefined;
  json: boolean;
  /** Default `--timeout` (seconds) for every line that runs on nodes. */
  timeout: number | undefined;
  subcommand: string[];
}

export const USAGE = `usage: dust [options]                 interactive cluster shell
       dust -c LINE [-c LINE ...]       run lines non-interactively (exit 0 only if all succeed)
       dust < script.dust               lines from stdin when it is not a terminal
       dust completion bash|zsh         print a shell completion script (see its first lines)
       dust emulator [--port N]         serve the EC2 emulator on loopback

options:
  -c, --command LINE     run LINE (repeatable; in order; one session)
      --config FILE      use this config file instead of searching
      --region NAME      EC2 region (default: AWS_REGION, AWS_DEFAULT_REGION, profile, config)
      --profile NAME     AWS profile
      --endpoint-url URL EC2-compatible endpoint (LocalStack, moto, dust emulator)
      --demo             start on the built-in demo cluster (no AWS account or sshd needed)
      --json             stdout: one JSON object per line (@ and gather: one per node result; show: one
                         per node); everything else goes to stderr
  -t, --timeout SECONDS  interrupt nodes still running a line after SECONDS (reported as timeout)
  -v, --verbose          stack traces for errors (also DUST_DEBUG=1)
      --no-color         no colours (also NO_COLOR=1)
  -h, --help             this help
  -V, --version          print the version

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
  json: { type: 'boolean' },
  timeout: { type: 'string', short: 't' },
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
  json: 'NDJSON results on stdout',
  timeout: 'interrupt nodes after SECONDS',
};

/** Words that, first on the command line, are not options: `dust completion bash`, `dust emulator --port 4566`. */
export const CLI_SUBCOMMANDS: Readonly<Record<string, string>> = {
  completion: 'print a bash or zsh completion script',
  emulator: 'serve the EC2 emulator on loopback',
};

export function parseCliArgs(argv: readonly string[]): CliArgs {
  const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: CLI_OPTIONS });
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout >= 0)) {
    throw new DustError(ErrorCodes.Usage, `--timeout: '${values.timeout}' is not a number of seconds`, { hint: 'e.g. --timeout 30, or 0 for no limit' });
  }
  return {
    help: values.help ?? false,
    version: values.version ?? false,
    commands: values.command ?? [],
    config: values.config,
    verbose: values.verbose ?? false,
    color: values['no-color'] ? false : values.color,
    demo: values.demo ?? false,
    region: values.region,
    profile: values.profile,
    endpointUrl: values['endpoint-url'],
    json: values.json ?? false,
    timeout,
    subcommand: positionals,
  };
}
