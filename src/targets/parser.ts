import { targetSyntaxError } from './errors.js';
import { tokenize, type Token } from './lexer.js';
import { compilePattern, type Pattern } from './pattern.js';
import { parseNumericRange, type RangeItem } from './range.js';
import { columnAt, findSeparator, sliceText, type SourceText } from './text.js';

interface TermBase {
  /** The term as written, quotes removed (bare terms are compared with cluster names through this). */
  readonly text: string;
  /** 1-based column of the term in the expression. */
  readonly column: number;
}

/** `*`, or an empty expression: the whole working set. */
export interface AllTerm extends TermBase { readonly kind: 'all' }
/** `3`, `2-5`, `[2-5,9]`: global 1-based node indexes. */
export interface IndexTerm extends TermBase { readonly kind: 'index'; readonly ranges: readonly RangeItem[] }
/** `worker*`, `node[01-10]`: the node name. */
export interface NameTerm extends TermBase { readonly kind: 'name'; readonly pattern: Pattern }
/** `key=value`: a node property (`nodeProperty`), value is a pattern. `key` is lower case. */
export interface PropertyTerm extends TermBase { readonly kind: 'property'; readonly key: string; readonly value: Pattern }
/** `tags=K:V`, `tags=K`, `annotation=K:V`: any pair of the record matches. */
export interface PairTerm extends TermBase {
  readonly kind: 'pairs';
  readonly field: 'tags' | 'annotations';
  readonly key: Pattern;
  /** Absent for `tags=K` (has a tag whose key matches). */
  readonly value: Pattern | undefined;
}
/** `file:hosts.txt`: the hosts listed in a file (`path` as written, quotes removed; the caller reads it). */
export interface FileTerm extends TermBase { readonly kind: 'file'; readonly path: string }
export interface SetOperation {
  /** `,` union, `&` intersection, `!` difference, `^` symmetric difference (in one side, not both). */
  readonly kind: 'union' | 'intersection' | 'difference' | 'xor';
  readonly left: TargetExpr;
  readonly right: TargetExpr;
}

/** A parsed target expression (plain data: safe to cache and reuse across scopes). */
export type TargetExpr = AllTerm | IndexTerm | NameTerm | PropertyTerm | PairTerm | FileTerm | SetOperation;

const OPERATION: Readonly<Record<string, SetOperation['kind']>> = {
  ',': 'union', '&': 'intersection', '!': 'difference', '^': 'xor',
};

/** Deeper `((((...))))` than this is refused rather than risking the stack. */
export const MAX_NESTING = 64;

const PAIR_FIELDS: Readonly<Record<string, 'tags' | 'annotations'>> = {
  tags: 'tags', tag: 'tags', annotation: 'annotations', annotations: 'annotations',
};

const JOIN_HINT = "join terms with ',' (or), '&' (and), '!' (minus) or '^' (in one but not both)";

/**
 * Parses a target expression. As in ClusterShell's nodeset, the operators have ONE precedence and apply
 * from left to right: `a,b!c` is `(a,b)!c` and `a!b,c` is `(a!b),c`; parentheses group. Whitespace around
 * operators is ignored.
 *
 *     expression = operand { ( "," | "&" | "!" | "^" ) operand }
 *     operand    = [ "!" ] primary          a leading "!" means the working set minus primary
 *     primary    = term | "(" expression ")"
 *
 * @throws DustError DUST_TARGET_SYNTAX, one line naming the column of the problem.
 */
export function parseTarget(expr: string): TargetExpr {
  const tokens = tokenize(expr);
  let pos = 0;
  const peek = (): Token => tokens[pos] ?? { kind: 'end', column: expr.length + 1 };
  const isOp = (t: Token, op: string): boolean => t.kind === 'op' && t.op === op;
  const describe = (t: Token): string => (t.kind === 'term' ? t.raw : t.kind === 'op' ? t.op : 'end');

  if (peek().kind === 'end') return { kind: 'all', text: '', column: 1 };

  let depth = 0;
  const primary = (afterBang: boolean): TargetExpr => {
    const tok = peek();
    if (tok.kind === 'term') { pos++; return parseTerm(tok, expr); }
    if (isOp(tok, '(')) {
      if (++depth > MAX_NESTING) {
        throw targetSyntaxError(expr, `more than ${MAX_NESTING} nested '('`, tok.column, 'flatten the expression');
      }
      pos++;
      const inner = expression();
      const close = peek();
      if (isOp(close, ')')) { pos++; depth--; return inner; }
      if (close.kind === 'end') throw targetSyntaxError(expr, "unclosed '('", tok.column, "add a matching ')'");
      throw targetSyntaxError(expr, `unexpected '${describe(close)}'`, close.column, JOIN_HINT);
    }
    if (isOp(tok, '!')) {
      throw targetSyntaxError(expr, "unexpected '!'", tok.column,
        afterBang ? "'!' subtracts: a!b, or !b for the working set minus b" : undefined);
    }
    throw targetSyntaxError(expr, 'empty term', tok.column);
  };

  /** `afterBang`: the operand follows a binary `!`, where a second `!` would only confuse. */
  const operand = (afterBang: boolean): TargetExpr => {
    const first = peek();
    if (!afterBang && isOp(first, '!')) {
      pos++;
      return { kind: 'difference', left: { kind: 'all', text: '*', column: first.column }, right: primary(true) };
    }
    return primary(afterBang);
  };

  function expression(): TargetExpr {
    let left = operand(false);
    for (let tok = peek(); tok.kind === 'op' && OPERATION[tok.op] !== undefined; tok = peek()) {
      pos++;
      left = { kind: OPERATION[tok.op]!, left, right: operand(tok.op === '!') };
    }
    return left;
  }

  const result = expression();
  const rest = peek();
  if (rest.kind !== 'end') {
    if (isOp(rest, ')')) throw targetSyntaxError(expr, "unbalanced ')'", rest.column, "remove it or add a matching '('");
    throw targetSyntaxError(expr, `unexpected '${describe(rest)}'`, rest.column, JOIN_HINT);
  }
  return result;
}

/** `file:PATH` — pdsh's `^file` and pssh's `-h file`; `^` itself is the symmetric difference here. */
const FILE_PREFIX = 'file:';

const INDEX_TERM = /^(\d+(-\d+)?|\[[\d,\-/\s]*\d[\d,\-/\s]*\])$/;

/** Classifies one term: `key=value`, then index, then name (bare cluster names are resolved later, with a scope). */
function parseTerm(tok: Extract<Token, { kind: 'term' }>, expr: string): TargetExpr {
  const src = tok.text;
  const base = { text: src.text, column: tok.column };
  if (src.text === '') throw targetSyntaxError(expr, 'empty term', tok.column);
  if (src.text === '*' && !src.quoted[0]) return { kind: 'all', ...base };

  if (/^file:/i.test(src.text) && !src.quoted.slice(0, FILE_PREFIX.length).some(Boolean)) {
    const file = src.text.slice(FILE_PREFIX.length);
    if (file.trim() === '') {
      throw targetSyntaxError(expr, "missing file name after 'file:'", columnAt(src, FILE_PREFIX.length),
        'write file:hosts.txt (one [user@]host[:port] per line); quote a path holding spaces or , & ! ^ ( ): file:"my hosts"');
    }
    return { kind: 'file', ...base, path: file };
  }

  const eq = findSeparator(src, '=', 'first');
  if (eq >= 0) return parseKeyValue(src, eq, base, expr);

  if (INDEX_TERM.test(src.text) && !src.quoted.some(Boolean)) {
    const bracketed = src.text.startsWith('[');
    const content = bracketed ? sliceText(src, 1, src.text.length - 1) : src;
    const closer = bracketed ? "']'" : 'end of term';
    return { kind: 'index', ...base, ranges: parseNumericRange(content, content.end, expr, closer) };
  }
  return { kind: 'name', ...base, pattern: compilePattern(src, expr) };
}

function parseKeyValue(src: SourceText, eq: number, base: TermBase, expr: string): TargetExpr {
  const key = src.text.slice(0, eq).toLowerCase();
  const value = sliceText(src, eq + 1);
  if (key === '') {
    throw targetSyntaxError(expr, "missing property name before '='", base.column, 'write key=value, e.g. state=running');
  }
  if (value.text === '') {
    throw targetSyntaxError(expr, `missing value after '${key}='`, columnAt(src, eq) + 1,
      `a value is needed: ${key}=<glob>; ${key}=* selects every node that has a ${key}`);
  }
  const field = PAIR_FIELDS[key];
  if (field === undefined) return { kind: 'property', ...base, key, value: compilePattern(value, expr) };

  // Split at the LAST colon: tag keys may contain colons (aws:cloudformation:stack-name:slurm1).
  const colon = findSeparator(value, ':', 'last');
  if (colon < 0) return { kind: 'pairs', ...base, field, key: compilePattern(value, expr), value: undefined };
  if (colon === 0) {
    throw targetSyntaxError(expr, `missing ${field === 'tags' ? 'tag' : 'annotation'} key before ':'`, columnAt(value, 0),
      `write ${key}=key:value; globs work on both sides, e.g. ${key}=*:prod`);
  }
  return {
    kind: 'pairs', ...base, field,
    key: compilePattern(sliceText(value, 0, colon), expr),
    value: compilePattern(sliceText(value, colon + 1), expr),
  };
}
