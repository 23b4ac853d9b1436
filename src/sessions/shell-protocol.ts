/**
 * The text dust writes into a node's persistent shell, and how it recognises the shell's answers.
 *
 * - dust never types into the user's login shell. The PTY channel runs a one-line bootstrap that any login
 *   shell can parse (sh, bash, dash, zsh, fish, tcsh: no newlines, no `'`, `\` or `!` inside the quoted script):
 *   `exec /bin/sh -c '…'`. It sources /etc/profile and ~/.profile with stdin from /dev/null and output discarded
 *   (the login PATH is kept, rc noise and rc prompts cannot reach us), unsets ENV, then execs a KNOWN interactive
 *   shell: `bash --noprofile --norc --noediting -i`, or `sh +m -i` where bash is missing (busybox, distroless-ish
 *   images).
 * - **The prompt is the marker.** The shell's PS1 (exported, so nested shells inherit it) prints
 *   `\n__DUST_<token>_<rc>_<pid>_<kind>_<cwd>__\n` every time the shell is back at its prompt, where token is the
 *   shell variable `__dust_t` (exported too), rc is `$?`, pid is `$$` and kind is `b` in bash, empty in sh. So:
 *   - a command is typed as ONE line `__dust_t=<token>; eval '<cmd>'`, and its marker is the prompt that follows;
 *   - Ctrl-C is a bare `^C`: the shell abandons the line and shows its prompt, which reports 130. Nothing is typed
 *     after it, so nothing can be typed into a program that is still reading the terminal (`cat`);
 *   - the first prompt is the ready marker (the bootstrap sets `__dust_t` to a ready token);
 *   - a nested shell that inherits the environment (`exec sh`, `su user -s /bin/sh`, `bash` without an rc that
 *     sets PS1) answers with its own pid, and when it exits the outer shell's prompt reports the command that
 *     started it with the nested shell's exit status: the session keeps a stack of shells by pid. One that does not
 *     inherit it (`sudo -i`, `su -`) shows its own prompt and is taken over with the same bootstrap (`takeOverLine`).
 * - eval keeps syntax errors, trailing `&` and `read` inside the command; the marker literal never appears in what
 *   dust types because `%s` or `${…}` splits it.
 * - Raw mode (`@node`): PS1 becomes a human prompt `node:/cwd$ ` preceded by an invisible beacon (a private OSC,
 *   between readline's \001/\002 so it takes no columns) that tells dust the shell is at its prompt; dust strips the
 *   beacon and any marker from what reaches the screen.
 */

/** Prefix of every marker line; never written literally in typed text. */
export const MARKER_PREFIX = '__DUST_';

/** Terminal size used in line mode: wide, so `ps` and `ls` do not truncate or wrap for an 80-column tty. */
export const LINE_MODE_PTY = { rows: 50, cols: 250 } as const;

/** Printed (invisibly) before the raw-mode prompt: the shell is reading a command line. */
export const PROMPT_BEACON = '\x1b]7777;dust-prompt\x07';

/** Pagers would wait for a keypress inside a PTY nobody looks at. */
const PAGER_EXPORTS = 'PAGER=cat GIT_PAGER=cat SYSTEMD_PAGER=cat';

/** Quotes a string for a POSIX shell (single quotes; `'` becomes `'\''`). */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The one-line script the bootstrap runs in /bin/sh: it must parse inside single quotes in every login shell. */
function bootstrapScript(bootToken: string, readyToken: string): string {
  // `$` written as ${dollar} so it survives into PS1 unexpanded; a newline built without a backslash.
  const ps1 = '${nl}__DUST_${dollar}{__dust_t}_${dollar}?_${dollar}${dollar}_${dollar}{BASH_VERSION:+b}_${dollar}{PWD}__${nl}';
  const script = [
    // Keep the login environment (PATH from /etc/profile, ~/.profile) but let nothing in it talk to us.
    '[ -r /etc/profile ] && . /etc/profile </dev/null >/dev/null 2>&1',
    '[ -r "$HOME/.profile" ] && . "$HOME/.profile" </dev/null >/dev/null 2>&1',
    'unset ENV BASH_ENV PROMPT_COMMAND',
    'dollar=$',
    // A newline without a backslash and without a fork: the last character of the default IFS (space, tab,
    // newline), which sh sets itself whatever the environment says. The command substitution is the fallback.
    'nl=${IFS#??}',
    '[ ${#nl} = 1 ] || { nl=$(echo x; echo y); nl=${nl#x}; nl=${nl%y}; }',
    `PS1="${ps1}"`,
    'PS2=',
    '__dust_ps1=$PS1',
    `__dust_t=${readyToken}`,
    `export PS1 PS2 __dust_ps1 __dust_t ${PAGER_EXPORTS}`,
    // bash: line editing off, no job control, no history file; run once, before the first prompt.
    'PROMPT_COMMAND="unset PROMPT_COMMAND HISTFILE; set +o emacs 2>/dev/null; set +o vi 2>/dev/null; set +m"',
    'export PROMPT_COMMAND',
    `printf "${MARKER_PREFIX}%s__ " ${bootToken}`,
    'if command -v bash >/dev/null 2>&1; then exec bash --noprofile --norc --noediting -i; fi',
    'unset PROMPT_COMMAND',
    'exec sh +m -i',
  ].join('; ');
  if (/['\\!\n]/.test(script)) throw new Error('bootstrap script must stay parseable by any login shell');
  return script;
}

/**
 * The command the PTY channel runs. The script prints a boot marker right before exec'ing the interactive shell,
 * so dust knows when its own shell (not the login shell) reads the PTY; that shell's first prompt is the ready
 * marker `__DUST_<readyToken>_0_<pid>_<kind>_<cwd>__`, so a fresh session needs no typed ready line.
 */
export function bootstrapCommand(bootToken: string, readyToken: string): string {
  return `exec /bin/sh -c '${bootstrapScript(bootToken, readyToken)}'`;
}

/**
 * Typed into a shell dust did not start (the prompt of `sudo -i`, `su -`, a nested bash whose rc set its own
 * PS1): replaces it (same pid, same user, same environment) with dust's shell, which announces itself like a
 * fresh session. Parseable by bash, zsh, fish, tcsh and sh.
 */
export function takeOverLine(bootToken: string, readyToken: string): string {
  return `exec /bin/sh -c '${bootstrapScript(bootToken, readyToken)}'\n`;
}

/** Settings that make the interactive shell usable in line mode. Used after a raw detach and in a nested shell. */
export function lineModeSettings(): string {
  return [
    'stty -echo 2>/dev/null',
    'set +o emacs 2>/dev/null',
    'set +o vi 2>/dev/null',
    // No job control in line mode: no `[1] 1234` / `Done` notices in the output, and background jobs ignore ^C.
    'set +m',
    'PS1=$__dust_ps1; PS2=',
    `export PS1 PS2 ${PAGER_EXPORTS}`,
  ].join('; ');
}

/** After a reconnect: back to the directory the lost shell was in; the prompt then reports `token`. */
export function restoreCwdLine(token: string, cwd: string): string {
  return `cd -- ${shQuote(cwd)} 2>/dev/null; __dust_t=${token}\n`;
}

/** printf that emits a marker line for `token` explicitly (used where the prompt is about to stop being one). */
export function markerPrintf(token: string): string {
  // `__%s_` + DUST: the literal marker never appears in what is written, only in what printf prints.
  return `printf '\\n__%s_%s_%s_%s_%s_%s__\\n' DUST ${token} "$?" "$$" "\${BASH_VERSION:+b}" "$PWD"`;
}

/** Ctrl-C for the remote foreground job. The shell's next prompt reports the interrupted command (rc 130). */
export const INTERRUPT = '\x03';

/** Wraps one user command so that completion, exit status and cwd come back on the prompt's marker line. */
export function wrapCommand(command: string, token: string, opts: { noInput?: boolean } = {}): string {
  // A leading '-' would be read as an option of eval itself (`@* -V` must run `-V`, not fail in eval).
  const text = command.startsWith('-') ? ` ${command}` : command;
  // With nothing to answer it, stdin is /dev/null for the whole line (eval's redirection covers what it runs).
  return `__dust_t=${token}; eval ${shQuote(text)}${opts.noInput ? ' </dev/null' : ''}\n`;
}

/** Settings for raw mode: echo, line editing where the shell has it, a readable prompt `name:/cwd$ ` with the beacon. */
export function rawModeLine(nodeName: string, token: string): string {
  // \001 \002 make readline count the beacon as zero columns; outside bash they reach dust, which strips them.
  const beacon = "$(printf '\\001\\033]7777;dust-prompt\\007\\002')";
  const ps1 = `"${beacon}"${shQuote(`${nodeName.replace(/[^\w.@-]/g, '_')}:`)}'$PWD$ '`;
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

/** Back to line mode after a raw session; the prompt then reports `token`. */
export function leaveRawModeLine(token: string): string {
  return `${lineModeSettings()}; __dust_t=${token}\n`;
}

export interface ParsedMarker {
  token: string;
  exitCode: number;
  /** The shell process that printed it (`$$`): a different one means a nested shell answered or was left. */
  pid: number;
  /** Which shell printed it. */
  kind: 'bash' | 'sh';
  cwd: string;
}

const MARKER_RE = /^__DUST_([A-Za-z0-9]+)_(\d+)_(\d+)_(b?)_(.*)__$/;

/** Parses a complete output line (already stripped of `\r`) as a command marker. */
export function parseMarker(line: string): ParsedMarker | undefined {
  if (!line.startsWith(MARKER_PREFIX)) return undefined;
  const m = MARKER_RE.exec(line);
  if (!m) return undefined;
  return { token: m[1]!, exitCode: Number(m[2]), pid: Number(m[3]), kind: m[4] === 'b' ? 'bash' : 'sh', cwd: m[5]! };
}

/** The boot marker the bootstrap prints (followed by a space, on the same line as whatever follows). */
export function bootMarker(bootToken: string): string {
  return `${MARKER_PREFIX}${bootToken}__`;
}

/** A fresh random token: letters and digits only, so it can sit unquoted in a command line. */
export function newToken(): string {
  return Math.random().toString(36).slice(2, 10).replace(/[^a-z0-9]/g, '') + Date.now().toString(36).slice(-4);
}
