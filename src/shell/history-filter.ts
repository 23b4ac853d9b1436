/**
 * What may reach `$DUST_HOME/history`. Lines typed with a leading space are kept out (bash's
 * HISTCONTROL=ignorespace), and values that are secrets are masked so the file never holds them.
 *
 * Only the value is masked, never the words around it, and the line keeps its shell syntax, so it can be
 * recalled, edited and run again: `export AWS_SECRET_ACCESS_KEY=abcd; echo set` is kept as
 * `export AWS_SECRET_ACCESS_KEY=***; echo set`, and `echo "reset password for user alice"` is kept as typed
 * (a word like "password" is not a secret; what is assigned to it is). A masked value that would stand as
 * its own word is quoted ('***'), so the shell cannot expand it as a glob. Should masking ever change the
 * line's structure (quotes, `;`, `|`, `&&`), the line is not kept at all rather than kept broken.
 */

/** A name that holds a secret: DB_PASSWORD, api-key, AWS_SESSION_TOKEN, --client-secret. */
const SECRET_WORD = String.raw`password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?`;
/** ... unless it names where the secret is, not the secret: TOKEN_FILE, --secret-id, PASSWORD_ENV. */
const NOT_A_VALUE = String.raw`(?<![_-](?:file|path|dir|name|id|arn|env|var|ttl|length|type|url))`;
// Bounded, so a pasted 100 kB word cannot make the regex backtrack for seconds.
const NAME = String.raw`(?:[A-Za-z_][\w.-]{0,62}?)?(?:${SECRET_WORD})[\w.-]{0,63}${NOT_A_VALUE}`;

/** A shell word as typed: '…', "…" or bare characters; not a $reference (that is not the secret itself). */
const VALUE = String.raw`'[^']*'|"(?:[^"\\$]|\\.)(?:[^"\\]|\\.)*"|(?!\$)(?:[^\s;&|()<>'"\\\`]|\\.)+`;

const RULES: readonly { pattern: RegExp; mask: (m: string, ...groups: string[]) => string }[] = [
  // NAME=value (assignments, key=value arguments, --option=value)
  { pattern: new RegExp(String.raw`(^|[\s;&|('"\`{,])((?:--?)?${NAME})=(${VALUE})`, 'gi'), mask: (_m, before, name, value) => `${before}${name}=${maskWord(value!, false)}` },
  // "password": "value" (JSON, YAML with quotes)
  { pattern: new RegExp(String.raw`(["'])(${NAME})\1(\s*:\s*)("(?:[^"\\]|\\.)*"|'[^']*')`, 'gi'), mask: (_m, q, name, sep, value) => `${q}${name}${q}${sep}${maskWord(value!, false)}` },
  // --password value, --api-key value
  { pattern: new RegExp(String.raw`(\s--?${NAME})(\s+)(?!-)(${VALUE})`, 'gi'), mask: (_m, opt, space, value) => `${opt}${space}${maskWord(value!, true)}` },
  // mysql -pSECRET, sshpass -p SECRET
  { pattern: /(\b(?:mysql|mysqldump|mysqladmin|mariadb)\b[^;&|]*?\s-p)(?!\s)((?:[^\s;&|()<>'"\\`]|\\.)+|'[^']*'|"(?:[^"\\]|\\.)*")/gi, mask: (_m, opt, value) => `${opt}${maskWord(value!, true)}` },
  { pattern: /(\bsshpass\s+-p\s*)((?:[^\s;&|()<>'"\\`]|\\.)+|'[^']*'|"(?:[^"\\]|\\.)*")/gi, mask: (_m, opt, value) => `${opt}${maskWord(value!, true)}` },
  // curl -u user:password, --user user:password
  { pattern: /(\s(?:-u|--user)\s+['"]?[^\s:'"]+:)((?:[^\s;&|()<>'"\\`]|\\.)+)/g, mask: (_m, before) => `${before}***` },
  // scheme://user:password@host
  { pattern: /(\b[a-z][\w+.-]*:\/\/[^\s:/@'"]+:)([^\s@/'"]+)(@)/gi, mask: (_m, before, _v, at) => `${before}***${at}` },
  // Authorization: Bearer <token>, and a bearer token on its own
  { pattern: /(\bauthorization:\s*(?:bearer|basic|token)\s+)([\w.~+/-]+=*)/gi, mask: (_m, before) => `${before}***` },
  { pattern: /(\bbearer\s+)([\w.~+/-]{16,}=*)/gi, mask: (_m, before) => `${before}***` },
  // AWS access key ids
  { pattern: /\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, mask: (_m, prefix) => `${prefix}****************` },
];

/**
 * `answeringSecret`: some node waits at a password prompt, so an `@target text` line may be that password
 * typed in the clear; it is not kept (dust offers `@target` alone to read it without echo).
 */
export function filterHistoryLine(line: string, opts: { answeringSecret?: boolean } = {}): string | undefined {
  if (line.startsWith(' ') || line.trim() === '') return undefined;
  if (opts.answeringSecret && /^\s*@\S*\s+\S/.test(line)) return undefined;
  const masked = redactSecrets(line);
  return masked === line || sameShellStructure(line, masked) ? masked : undefined;
}

export function redactSecrets(text: string): string {
  let out = text;
  for (const rule of RULES) out = out.replace(rule.pattern, rule.mask as (m: string, ...args: unknown[]) => string);
  return out;
}

/** `***` in the value's own quotes; a bare standalone word is quoted so no shell globs it. */
function maskWord(value: string, standalone: boolean): string {
  if (value.startsWith("'")) return "'***'";
  if (value.startsWith('"')) return '"***"';
  return standalone ? "'***'" : '***';
}

/** The line's operators outside quoted text, and whether its quotes close: masking must leave them as they were. */
export function sameShellStructure(a: string, b: string): boolean {
  return skeleton(a) === skeleton(b);
}

function skeleton(line: string): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === undefined && c === '\\') { i++; continue; }
    if (quote === '"' && c === '\\') { i++; continue; }
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"') { quote = c; continue; }
    if (';&|()<>`'.includes(c)) out += c;
  }
  return quote === undefined ? out : `${out}(unclosed ${quote})`;
}
