import { targetSyntaxError } from './errors.js';
import type { SourceText } from './text.js';

export type Operator = ',' | '&' | '!' | '^' | '(' | ')';

export type Token =
  | { readonly kind: 'term'; readonly text: SourceText; readonly raw: string; readonly column: number }
  | { readonly kind: 'op'; readonly op: Operator; readonly column: number }
  | { readonly kind: 'end'; readonly column: number };

const OPERATORS = new Set<string>([',', '&', '!', '^', '(', ')']);
const isSpace = (ch: string): boolean => /\s/.test(ch);

/**
 * Splits a target expression into terms and operators. A `[...]` is kept whole inside its term, so the
 * `,` of `node[1,3]` and the `!` / `^` of `[!x]` / `[^x]` are not operators. Double quotes hide operator, glob and
 * bracket characters (`tags="team:a,b"`); the quotes themselves are dropped.
 */
export function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const ch = expr[i] ?? '';
    if (isSpace(ch)) { i++; continue; }
    if (OPERATORS.has(ch)) {
      tokens.push({ kind: 'op', op: ch as Operator, column: i + 1 });
      i++;
      continue;
    }
    const start = i;
    const chars: string[] = [];
    const cols: number[] = [];
    const quoted: boolean[] = [];
    const push = (c: string, index: number, q: boolean): void => { chars.push(c); cols.push(index + 1); quoted.push(q); };
    while (i < expr.length) {
      const c = expr[i] ?? '';
      if (c === '"') {
        const close = expr.indexOf('"', i + 1);
        if (close < 0) throw targetSyntaxError(expr, "unclosed '\"'", i + 1, 'end the quoted text with another "');
        for (let k = i + 1; k < close; k++) push(expr[k] ?? '', k, true);
        i = close + 1;
      } else if (c === '[') {
        const close = expr.indexOf(']', i + 1);
        if (close < 0) throw targetSyntaxError(expr, "unclosed '['", i + 1, 'close it: worker[1-5] or worker[abc]');
        for (let k = i; k <= close; k++) push(expr[k] ?? '', k, false);
        i = close + 1;
      } else if (c === ']') {
        throw targetSyntaxError(expr, "unexpected ']'", i + 1, "a ']' must close a '['");
      } else if (isSpace(c) || OPERATORS.has(c)) {
        break;
      } else {
        push(c, i, false);
        i++;
      }
    }
    const text: SourceText = { text: chars.join(''), cols, quoted, end: i + 1 };
    tokens.push({ kind: 'term', text, raw: expr.slice(start, i), column: start + 1 });
  }
  tokens.push({ kind: 'end', column: expr.length + 1 });
  return tokens;
}
