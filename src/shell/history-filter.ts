/**
 * What may reach `$DUST_HOME/history`. Lines typed with a leading space are kept out (bash's
 * HISTCONTROL=ignorespace), and values that look like secrets are masked so the file never holds them.
 */
const SECRET_ASSIGNMENT = /\b([\w-]*(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key)[\w-]*)(\s*[=:]\s*|\s+)('[^']*'|"[^"]*"|\S+)/gi;
const AWS_KEY_ID = /\b(AKIA|ASIA)[A-Z0-9]{16}\b/g;
const BEARER = /\b(bearer\s+)[\w.~+/-]+=*/gi;

/**
 * `answeringSecret`: some node waits at a password prompt, so an `@target text` line may be that password
 * typed in the clear; it is not kept (dust offers `@target` alone to read it without echo).
 */
export function filterHistoryLine(line: string, opts: { answeringSecret?: boolean } = {}): string | undefined {
  if (line.startsWith(' ') || line.trim() === '') return undefined;
  if (opts.answeringSecret && /^\s*@\S*\s+\S/.test(line)) return undefined;
  return redactSecrets(line);
}

export function redactSecrets(text: string): string {
  return text
    .replace(SECRET_ASSIGNMENT, (_m, key: string, sep: string) => `${key}${sep}***`)
    .replace(AWS_KEY_ID, '$1****************')
    .replace(BEARER, '$1***');
}
