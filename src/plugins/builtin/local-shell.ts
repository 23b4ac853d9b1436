import fs from 'node:fs';
import path from 'node:path';
import type { CommandContext, CommandSpec, CompletionContext } from '../api.js';
import { executablesOnPath } from '../../shell/local-paths.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { closestWord } from '../../text/closest-word.js';

/** Runs a line in the local `/bin/sh` with the terminal handed over, so vim, less and top work. */
async function runLocal(ctx: CommandContext, line: string): Promise<boolean> {
  if (line.trim() === '') {
    throw new DustError(ErrorCodes.Usage, '!: nothing to run', { hint: 'usage: !command, e.g. !ls -l' });
  }
  if (ctx.out.json) return runLocalForJson(ctx, line);
  const { exitCode } = await ctx.runLocal(line);
  return exitCode === 0;
}

/**
 * Under --json stdout carries records only: the local program's output becomes one
 * `{type: 'local', command, exitCode, output}` record (its stderr still goes to stderr).
 */
async function runLocalForJson(ctx: CommandContext, line: string): Promise<boolean> {
  const { exitCode: code, stdout = '' } = await ctx.runLocal(line, { captureStdout: true });
  const output = stdout === '' ? [] : stdout.replace(/\n$/, '').split('\n');
  ctx.out.record({ type: 'local', command: line, exitCode: code, output });
  return code === 0;
}

export const localShellCommand: CommandSpec = {
  name: 'local',
  prefix: '!',
  usage: '!command',
  summary: 'run a command in the local shell, with the terminal (vim works)',
  help: 'Runs the rest of the line with /bin/sh on this machine. The terminal is handed over until it exits.\n'
    + 'A line whose first word is not a dust command also runs locally, with a one-line notice.',
  examples: ['!ls -l', '!vim notes.txt', '!ssh-add -l'],
  complete: completeLocalLine,
  run: (ctx) => runLocal(ctx, ctx.raw),
};

/** The first word is a program (from $PATH, or a path with a /); the others are taken to be local paths. */
function completeLocalLine(ctx: CompletionContext): string[] {
  if (ctx.args.length === 0 && !ctx.word.includes('/')) return executablesOnPath(ctx.word);
  return ctx.localPaths(ctx.word);
}

/**
 * The original ran any unknown line in the local shell. We keep that, but a word that is neither a
 * local program nor a shell builtin and looks like a misspelt dust command is refused instead of
 * being sent to sh (`shwo` should not print "sh: shwo: not found").
 */
export const localFallbackCommand: CommandSpec = {
  name: 'local-fallback',
  fallback: true,
  usage: '<local command>',
  summary: 'lines that are not dust commands run in the local shell',
  complete: (ctx) => ctx.localPaths(ctx.word),
  async run(ctx) {
    const word = ctx.raw.trim().split(/\s+/)[0] ?? '';
    if (!isLocalCommand(word)) {
      const close = closestWord(word, ctx.state.commands().flatMap((c) => [c.spec.name, ...(c.spec.aliases ?? [])]), 2);
      throw new DustError(ErrorCodes.UnknownCommand, `'${word}' is neither a dust command nor a local program`, {
        hint: close ? `did you mean '${close}'? (help lists commands)` : 'help lists the commands; !cmd runs a local one',
      });
    }
    ctx.out.info(ctx.out.colorEnabled ? `\x1b[2m'${word}' is not a dust command: running it in the local shell\x1b[22m` : `'${word}' is not a dust command: running it in the local shell`);
    return runLocal(ctx, ctx.raw);
  },
};

const SH_BUILTINS = new Set(['cd', 'echo', 'export', 'set', 'unset', 'test', '[', 'true', 'false', 'printf', 'exit', 'ulimit', 'umask', 'type', 'command', 'eval', 'exec', 'kill', 'read', 'wait', 'times', 'trap', 'alias', 'sleep', 'pwd', 'for', 'if', 'while', 'case', '.']);

function isLocalCommand(word: string): boolean {
  if (word === '' ) return false;
  if (SH_BUILTINS.has(word)) return true;
  if (word.includes('/')) return fs.existsSync(word);
  if (/[=(){};|&<>$`]/.test(word)) return true; // shell syntax: let sh judge
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      fs.accessSync(path.join(dir, word), fs.constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

