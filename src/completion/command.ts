import { DustError, formatError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { requote, splitForCompletion } from '../shell/tokenize.js';
import { openCompletionBackend } from './backend.js';
import { COMPLETION_SHELLS, completeCli, type CliCompletion, type CompletingShell } from './cli-completer.js';
import { completionScript } from './scripts.js';

/**
 * `dust completion bash|zsh` prints the script; `dust __complete <shell> <word> <line>` is what the script
 * runs on each Tab (`word`: the shell's idea of the word under the cursor; `line`: the command line up to
 * the cursor). Both run before dust's own option parsing and start nothing.
 */
export async function runCompletionCommand(argv: readonly string[], version: string): Promise<number> {
  if (argv[0] === 'completion') {
    const shell = argv[1];
    if (!isShell(shell) || argv.length > 2) {
      const err = new DustError(ErrorCodes.Usage, `completion: ${shell === undefined ? 'which shell?' : `no completion for '${argv.slice(1).join(' ')}'`}`, {
        hint: `usage: dust completion ${COMPLETION_SHELLS.join('|')} (then: source <(dust completion bash) in ~/.bashrc)`,
      });
      process.stderr.write(`dust: ${formatError(err)}\n`);
      return 2;
    }
    process.stdout.write(completionScript(shell));
    return 0;
  }
  const [, shell, word = '', line = ''] = argv;
  if (!isShell(shell)) return 2;
  try {
    const result = await completeCli(line, (configFile) => openCompletionBackend({ configFile, version }));
    process.stdout.write(formatReply(result, shell, word, line));
    return 0;
  } catch {
    return 1; // a completion that fails offers nothing; the shell shows no error in the middle of a line
  }
}

function isShell(s: string | undefined): s is CompletingShell {
  return (COMPLETION_SHELLS as readonly (string | undefined)[]).includes(s);
}

/** The answer the script reads: a directives line, then candidates (values and descriptions for zsh). */
export function formatReply(result: CliCompletion, shell: CompletingShell, word: string, line: string): string {
  const directives = [...(result.files === 'file' ? ['files'] : result.files === 'directory' ? ['dirs'] : []), ...(result.nospace ? ['nospace'] : [])];
  let lines: string[];
  if (shell === 'zsh') {
    // zsh quotes what it inserts itself, and matches values against the word without its quotes.
    lines = result.candidates.map((c) => (result.wholeLine ? `${result.wholeLine.prefix}${c.value}` : c.value) + (c.description ? `\t${c.description}` : ''));
  } else {
    // bash inserts replies as they are, replacing its own word, which may be only the end of ours
    // (it splits words at = and :). Whole dust lines go inside a quote: the one typed, or a new '.
    const typed = splitForCompletion(line).last;
    const before = typed.raw.endsWith(word) ? typed.raw.slice(0, typed.raw.length - word.length) : '';
    const quoted = { ...typed, openQuote: typed.openQuote ?? ("'" as const) };
    lines = result.candidates
      .map((c) => (result.wholeLine ? result.wholeLine.prefix + requote(c.value, quoted) : c.value))
      .filter((raw) => raw.startsWith(before))
      .map((raw) => raw.slice(before.length));
  }
  return [directives.join(','), ...lines].join('\n') + '\n';
}
