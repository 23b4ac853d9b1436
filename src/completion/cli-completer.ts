import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI_OPTIONS, CLI_OPTION_SUMMARIES, CLI_SUBCOMMANDS } from '../shell/cli-args.js';
import { splitForCompletion, type PartialWord } from '../shell/tokenize.js';
import { listProfiles } from '../ec2/aws-settings.js';
import { DEFAULT_REGIONS } from '../ec2/emulator/catalog-data.js';
import type { CompletionBackend } from './backend.js';
import { kubeconfigFiles, kubeconfigNames } from '../kubernetes/kubeconfig-names.js';

export type CompletingShell = 'bash' | 'zsh';

export const COMPLETION_SHELLS: readonly CompletingShell[] = ['bash', 'zsh'];

export interface CliCandidate {
  value: string;
  description?: string;
}

/** What the shell should offer for the word under the cursor of a `dust …` command line. */
export interface CliCompletion {
  candidates: CliCandidate[];
  /** Let the shell complete local file names (`file`) or folder names (`directory`) itself, with its own quoting. */
  files?: 'file' | 'directory';
  /** No space after a unique match: the word goes on (a dust line being typed inside quotes). */
  nospace?: boolean;
  /**
   * The candidates are whole dust lines for one shell word (`-c 'show wo`): a shell that does not quote
   * them itself (bash) writes `prefix` (`--command=`, or '') and the value inside a quote.
   */
  wholeLine?: { prefix: string };
}

type OptionName = keyof typeof CLI_OPTIONS;
type OpenBackend = () => Promise<CompletionBackend>;

/**
 * Completes a `dust …` command line, cut at the cursor: dust's options and subcommands, option values
 * (`--config` files, `--profile` from the AWS files, `--region`), and the dust line `-c` takes or
 * `dust emulator …` continues (from the backend: commands, flags, node and cluster names).
 * `openBackend` is called only when a dust line needs it (it loads the config — the one a `--config` earlier
 * on the line names — and the plugins).
 */
export async function completeCli(line: string, openBackend: (configFile: string | undefined) => Promise<CompletionBackend>): Promise<CliCompletion> {
  const { words, last } = splitForCompletion(line);
  const args = words.slice(1); // words[0] is how dust was invoked
  const word = last.value;
  if (args[0] === 'completion') {
    return args.length === 1 ? { candidates: COMPLETION_SHELLS.filter((s) => s.startsWith(word)).map((value) => ({ value })) } : { candidates: [] };
  }
  if (args[0] === 'emulator') return dustLine(['emulator', ...args.slice(1)].map(quoteForDust).join(' ') + ' ', last, () => openBackend(undefined), false);
  const awaiting = optionAwaitingValue(args);
  const backend = () => openBackend(configFileIn(args));
  if (awaiting) return optionValue(awaiting, last, '', backend, args);
  const eq = /^--([^=]+)=/.exec(word);
  if (eq && optionTakesValue(eq[1]!)) {
    const prefix = eq[0];
    const valueWord: PartialWord = { raw: last.raw.slice(last.raw.indexOf('=') + 1), value: word.slice(prefix.length), openQuote: last.openQuote };
    return optionValue(eq[1] as OptionName, valueWord, prefix, backend, args);
  }
  const options = (Object.keys(CLI_OPTIONS) as OptionName[])
    .map((name) => ({ value: `--${name}`, description: CLI_OPTION_SUMMARIES[name] }))
    .filter((c) => c.value.startsWith(word));
  if (word.startsWith('-')) return { candidates: options };
  // A subcommand is only ever the first argument (dust completion bash, dust emulator …).
  const subcommands = args.length === 0
    ? Object.entries(CLI_SUBCOMMANDS).filter(([name]) => name.startsWith(word)).map(([value, description]) => ({ value, description }))
    : [];
  return { candidates: word === '' ? [...subcommands, ...options] : subcommands };
}

async function optionValue(option: OptionName, word: PartialWord, prefix: string, openBackend: OpenBackend, args: readonly string[]): Promise<CliCompletion> {
  const withPrefix = (values: string[]) => values.filter((v) => v.startsWith(word.value)).map((v) => ({ value: `${prefix}${v}` }));
  switch (option) {
    case 'config':
      return { candidates: [], files: 'file' };
    case 'command':
      return dustLine('', word, openBackend, true, prefix);
    case 'profile':
      return { candidates: withPrefix(await listProfiles()) };
    case 'region':
      return { candidates: withPrefix(regions()) };
    case 'kubeconfig':
      return { candidates: [], files: 'file' };
    case 'kube-context':
      return { candidates: withPrefix(kubeconfigNames(kubeconfigFiles(valueOf(args, 'kubeconfig'))).contexts) };
    case 'namespace':
      return { candidates: withPrefix(kubeconfigNames(kubeconfigFiles(valueOf(args, 'kubeconfig'))).namespaces) };
    default:
      return { candidates: [] };
  }
}

/**
 * The dust line being typed (`-c 'show wo`): asks the backend as Tab at the prompt would. `quoted`: the
 * line is one shell word, so candidates are whole lines and the word is not finished at a space.
 */
async function dustLine(head: string, word: PartialWord, openBackend: OpenBackend, quoted: boolean, prefix = ''): Promise<CliCompletion> {
  const backend = await openBackend();
  try {
    const text = head + (quoted ? word.value : quoteForDust(word.value));
    const { candidates, replaced } = await backend.completeLine(text);
    const stem = text.slice(0, text.length - replaced.length);
    if (!quoted) {
      // One dust word per shell word (`dust emulator --p`): the candidate is the word.
      return { candidates: candidates.map((c) => ({ value: `${prefix}${c.trimEnd()}` })) };
    }
    return { candidates: candidates.map((c) => ({ value: `${stem}${c}` })), nospace: true, wholeLine: { prefix } };
  } finally {
    await backend.close();
  }
}

/** The option the last complete argument left waiting for its value (`--config`, `-c`), if any. */
function optionAwaitingValue(args: readonly string[]): OptionName | undefined {
  const prev = args[args.length - 1];
  return prev !== undefined && optionTakesValue(prev) ? optionNamed(prev) : undefined;
}

function optionTakesValue(arg: string): boolean {
  const name = optionNamed(arg.startsWith('-') ? arg : `--${arg}`);
  return name !== undefined && CLI_OPTIONS[name].type === 'string';
}

function optionNamed(arg: string): OptionName | undefined {
  if (arg.startsWith('--')) return arg.slice(2) in CLI_OPTIONS ? (arg.slice(2) as OptionName) : undefined;
  if (/^-\w$/.test(arg)) return (Object.entries(CLI_OPTIONS) as [OptionName, { short?: string }][]).find(([, o]) => o.short === arg[1])?.[0];
  return undefined;
}

/** `--config FILE` earlier on the line: the dust line is completed against that config. */
function configFileIn(args: readonly string[]): string | undefined {
  return valueOf(args, 'config');
}

/** The value of `--NAME VALUE` or `--NAME=VALUE` earlier on the line. */
function valueOf(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === `--${name}`) return args[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

/** The commercial regions, the environment's first. */
function regions(): string[] {
  const fromEnv = [process.env['AWS_REGION'], process.env['AWS_DEFAULT_REGION']].filter((r): r is string => !!r);
  return [...new Set([...fromEnv, ...DEFAULT_REGIONS])];
}

/** A shell word as dust's tokenizer reads it back. */
function quoteForDust(word: string): string {
  return /^[\w@%+=:,./*?[\]!&()~-]*$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
