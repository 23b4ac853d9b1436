/**
 * The text dust writes into a node's persistent shell, and how it recognises the shell's answers.
 *
 * Design (see docs in the session manager too):
 * - dust never types into the user's login shell. The PTY channel is opened with `exec` of a one-line
 *   bootstrap that any login shell can parse (sh, bash, dash, zsh, fish, tcsh: no newlines, no `'` or `\`
 *   inside the quoted script): `exec /bin/sh -c '…'`. The bootstrap sources /etc/profile and ~/.profile with
 *   stdin from /dev/null and output discarded (so the login PATH is kept, but rc noise and rc prompts cannot
 *   reach us), unsets ENV, then execs a KNOWN interactive shell: `bash --noprofile --norc --noediting -i`,
 *   or `sh -i` where bash is missing. Interactive, because raw mode needs job control and a prompt, and
 *   because the same shell serves both modes. That shell applies the line-mode settings and prints a ready
 *   marker before it first reads input (PROMPT_COMMAND), so nothing is typed until it is ready.
 * - Line mode: echo off (requested as a PTY mode; echo from a server that ignores PTY modes is recognised on
 *   the first command and ended with `stty -echo`), PS1/PS2 empty, no job
 *   control. Ctrl-C is `^C` into the PTY; an interactive shell then abandons the rest of the line (as in a
 *   terminal: `a; sleep 30; b` never runs b), marker included, so dust follows the ^C with a bare marker
 *   line for the same token (`interruptLine`) that reports `$?` (130) once the shell reads input again.
 *   If the node stays silent for 0.7 s (the SIGINT was lost), both are sent once more, never a third time.
 * - Every command is sent as ONE line: `eval '<cmd>'; printf '\n__DUST_%s_%s_%s__\n' <token> "$?" "$PWD"`.
 *   eval keeps syntax errors, trailing `&` and `read` inside the command; the marker literal never appears
 *   in the echo or in the command text because `%s` splits it.
 */

/** Prefix of every marker line; never written literally (always assembled by printf). */
export const MARKER_PREFIX = '__DUST_';

/** Terminal size used in line mode: wide, so `ps` and `ls` do not truncate or wrap for an 80-column tty. */
export const LINE_MODE_PTY = { rows: 50, cols: 250 } as const;

/** Pagers would wait for a keypress inside a PTY nobody looks at. */
const PAGER_EXPORTS = 'PAGER=cat GIT_PAGER=cat SYSTEMD_PAGER=cat';

/** Quotes a string for a POSIX shell (single quotes; `'` becomes `'\''`). */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The `exec` command string for the PTY channel. It must parse in every common login shell, so the
 * script is one line without `'`, `\`, `!` or newlines; it prints a boot marker right before exec'ing the
 * interactive shell, so dust knows when its own shell (not the login shell) reads the PTY.
 *
 * With `readyToken`, the interactive shell also applies the line-mode settings and prints the ready marker
 * (`__DUST_<readyToken>_0_<cwd>__`) by itself before its first prompt, so a fresh session needs no typed
 * ready line: bash runs it from PROMPT_COMMAND (which then unsets itself), the `sh -i` fallback gets the
 * marker printed just before its exec (and `+m` for no job control). That saves a round trip and a process
 * per node, which is most of what a cold start of 200 nodes pays beyond the SSH handshakes.
 */
export function bootstrapCommand(bootToken: string, readyToken?: string): string {
  // Inside the double-quoted PROMPT_COMMAND nothing may need a nested quote or a backslash, so $PWD is
  // written as ${dollar}PWD (expanded by bash, not here) and printed with field splitting and globbing off.
  const bashReady = [
    'unset PROMPT_COMMAND HISTFILE',
    'set +o emacs 2>/dev/null',
    'set +o vi 2>/dev/null',
    'set +m',
    'echo',
    'IFS=',
    'set -f',
    `printf %s_%s_%s_%s__ __DUST ${readyToken ?? ''} 0 \${dollar}PWD`,
    'set +f',
    'unset IFS',
    'echo',
  ].join('; ');
  // No `stty -echo` here: the PTY request asks for echo off, and a fork per session is a tenth of a cold start's
  // server work. NodeSession recognises echo from servers that ignore PTY modes and turns it off then.
  const script = [
    // Keep the login environment (PATH from /etc/profile, ~/.profile) but let nothing in it talk to us.
    '[ -r /etc/profile ] && . /etc/profile </dev/null >/dev/null 2>&1',
    '[ -r "$HOME/.profile" ] && . "$HOME/.profile" </dev/null >/dev/null 2>&1',
    'unset ENV BASH_ENV PROMPT_COMMAND',
    'PS1= ; PS2= ; export PS1 PS2',
    ...(readyToken === undefined ? [] : [
      `export ${PAGER_EXPORTS}`,
      'dollar=$',
      `PROMPT_COMMAND="${bashReady}"`,
      'export PROMPT_COMMAND',
    ]),
    `printf "${MARKER_PREFIX}%s__ " ${bootToken}`,
    'if command -v bash >/dev/null 2>&1; then exec bash --noprofile --norc --noediting -i; fi',
    ...(readyToken === undefined ? ['exec sh -i'] : [
      'unset PROMPT_COMMAND',
      `echo; printf "%s_%s_%s_%s__" __DUST ${readyToken} 0 "$PWD"; echo`,
      'exec sh +m -i',
    ]),
  ].join('; ');
  if (/['\\!\n]/.test(script)) throw new Error('bootstrap script must stay parseable by any login shell');
  return `exec /bin/sh -c '${script}'`;
}

/** Settings that make the interactive shell usable in line mode. Used after boot and after a raw detach. */
export function lineModeSettings(): string {
  return [
    'stty -echo 2>/dev/null',
    'set +o emacs 2>/dev/null',
    'set +o vi 2>/dev/null',
    // No job control in line mode: no `[1] 1234` / `Done` notices in the output, and background jobs ignore ^C.
    'set +m',
    'PS1= ; PS2=',
    `export ${PAGER_EXPORTS}`,
  ].join('; ');
}

/**
 * The line that readies a shell started without a ready token (line-mode settings, optional cwd restore, then
 * the ready marker). Sessions started with a ready token use `restoreCwdLine` instead after a reconnect.
 */
export function readyLine(token: string, restoreCwd: string | undefined): string {
  const parts = [lineModeSettings(), 'unset HISTFILE', 'bind "set enable-bracketed-paste off" 2>/dev/null'];
  if (restoreCwd !== undefined) parts.push(`cd -- ${shQuote(restoreCwd)} 2>/dev/null`);
  parts.push(markerPrintf(token));
  return `${parts.join('; ')}\n`;
}

/** After a reconnect: back to the directory the lost shell was in, then a marker. */
export function restoreCwdLine(token: string, cwd: string): string {
  return `cd -- ${shQuote(cwd)} 2>/dev/null; ${markerPrintf(token)}\n`;
}

/** printf that emits `\n__DUST_<token>_<rc>_<pwd>__\n`; rc and pwd are evaluated by the remote shell. */
export function markerPrintf(token: string): string {
  // `__%s_` + DUST: the literal marker never appears in what is written, only in what printf prints.
  return `printf '\\n__%s_%s_%s_%s__\\n' DUST ${token} "$?" "$PWD"`;
}

/** Sent right after ^C: the same command's marker, in case the shell abandoned the line that carried it. */
export function interruptLine(token: string): string {
  return `\x03${markerPrintf(token)}\n`;
}

/** Wraps one user command so that completion, exit status and cwd come back on a marker line. */
export function wrapCommand(command: string, token: string): string {
  // A leading '-' would be read as an option of eval itself (`@* -V` must run `-V`, not fail in eval).
  const text = command.startsWith('-') ? ` ${command}` : command;
  return `eval ${shQuote(text)}; ${markerPrintf(token)}\n`;
}

/** Settings for raw mode: echo, line editing where the shell has it, a readable prompt `name:/cwd$ `. */
export function rawModeLine(nodeName: string, token: string): string {
  const ps1 = shQuote(`${nodeName.replace(/[^\w.@-]/g, '_')}:`) + `'$PWD$ '`;
  return [
    'stty echo 2>/dev/null',
    // Line mode never starts readline; set this before it does (bracketed-paste codes would clutter output).
    'bind "set enable-bracketed-paste off" 2>/dev/null',
    'set -o emacs 2>/dev/null',
    'set -m',
    `PS1=${ps1}; PS2='> '`,
    markerPrintf(token),
  ].join('; ') + '\n';
}

/** Back to line mode after a raw session, announcing completion with a marker. */
export function leaveRawModeLine(token: string): string {
  return `${lineModeSettings()}; ${markerPrintf(token)}\n`;
}

export interface ParsedMarker {
  token: string;
  exitCode: number;
  cwd: string;
}

const MARKER_RE = /^__DUST_([A-Za-z0-9]+)_(\d+)_(.*)__$/;

/** Parses a complete output line (already stripped of `\r`) as a command marker. */
export function parseMarker(line: string): ParsedMarker | undefined {
  if (!line.startsWith(MARKER_PREFIX)) return undefined;
  const m = MARKER_RE.exec(line);
  if (!m) return undefined;
  return { token: m[1]!, exitCode: Number(m[2]), cwd: m[3]! };
}

/** The boot marker the bootstrap prints (followed by a space, on the same line as whatever follows). */
export function bootMarker(bootToken: string): string {
  return `${MARKER_PREFIX}${bootToken}__`;
}

/** A fresh random token: letters and digits only, so it can sit unquoted in a command line. */
export function newToken(): string {
  return Math.random().toString(36).slice(2, 10).replace(/[^a-z0-9]/g, '') + Date.now().toString(36).slice(-4);
}
