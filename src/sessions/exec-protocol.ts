/**
 * What dust sends through a transport's `exec` in no-PTY mode (clush-style: one channel per command, stdout and
 * stderr apart, stdin from dust), and how it stops such a command.
 *
 * - The command runs where dust's persistent shell would run it: /etc/profile and ~/.profile sourced (output
 *   discarded, stdin untouched), then `bash -c` (or `sh -c` where bash is missing). So `@* mytool` finds the same
 *   PATH with and without a PTY.
 * - Like the shell bootstrap (shell-protocol.ts), the wrapper is one line that every login shell parses (sh, bash,
 *   dash, zsh, fish, tcsh): `exec /bin/sh -c '…'` with no `'`, `!` or newline inside. The user's command travels
 *   as octal escapes for printf (`\143\141\164`): digits only, so no quoting rule of any login shell can touch it.
 * - Before the command starts, the wrapper prints `__DUST_PID_<pid>__` as the first line of stderr (dust strips it).
 *   Stopping a command without a terminal needs that pid: there is no line discipline to send ^C through, and
 *   OpenSSH refuses the SSH `signal` request for root logins and ForceCommand sessions. dust instead runs
 *   `kill -s INT` on the command's process group through a second exec channel (see killCommand).
 */
import { MARKER_PREFIX } from './shell-protocol.js';

/** The line the wrapper writes to stderr before the command starts. */
const PID_LINE = /^__DUST_PID_(\d+)__\r?$/;

/** The user's command as printf octal escapes (every byte of its UTF-8), so it survives any login shell's quoting. */
function octal(command: string): string {
  let out = '';
  for (const byte of Buffer.from(command, 'utf8')) out += `\\${byte.toString(8).padStart(3, '0')}`;
  return out;
}

/** Checks the promise the file header makes: one line, no `'` or `!`, and a backslash only in an octal escape. */
function assertPortable(script: string): string {
  if (/['!\n]/.test(script) || /\\(?![0-7]{3})/.test(script)) throw new Error('exec wrapper must stay parseable by any login shell');
  return script;
}

/** The command line handed to `Transport.exec` for `command` in no-PTY mode. */
export function execWrapper(command: string): string {
  // A leading '-' would be read as an option of bash itself (`-V`), as wrapCommand guards in the shell.
  const text = command.startsWith('-') ? ` ${command}` : command;
  const script = [
    '[ -r /etc/profile ] && . /etc/profile </dev/null >/dev/null 2>&1',
    '[ -r "$HOME/.profile" ] && . "$HOME/.profile" </dev/null >/dev/null 2>&1',
    'unset ENV BASH_ENV',
    `echo "${MARKER_PREFIX}PID_$$__" >&2`,
    `__dust_c=$(printf "${octal(text)}")`,
    'if command -v bash >/dev/null 2>&1; then exec bash -c "$__dust_c"; fi',
    'exec sh -c "$__dust_c"',
  ].join('; ');
  return `exec /bin/sh -c '${assertPortable(script)}'`;
}

/** The pid in the wrapper's first stderr line, or undefined when `line` is not that line. */
export function parsePidLine(line: string): number | undefined {
  const m = PID_LINE.exec(line);
  return m ? Number(m[1]) : undefined;
}

/**
 * A command that sends `signal` to the process group of `pid` (the command and everything it started), or to `pid`
 * alone where the group cannot be found. Run on the same connection through a second exec channel.
 */
export function killCommand(pid: number, signal: 'INT' | 'TERM' | 'KILL'): string {
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`not a pid: ${pid}`);
  const script = `g=$(ps -o pgid= -p ${pid} 2>/dev/null | tr -d " "); kill -s ${signal} -- "-\${g:-${pid}}" 2>/dev/null || kill -s ${signal} ${pid} 2>/dev/null; true`;
  return `exec /bin/sh -c '${assertPortable(script)}'`;
}
