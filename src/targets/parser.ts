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
export interface SetOperation {
  readonly kind: 'union' | 'intersection' | 'difference';
  readonly left: TargetExpr;
  readonly right: TargetExpr;
}

/** A parsed target expression (plain data: safe to cache and reuse across scopes). */
export type TargetExpr = AllTerm | IndexTerm | NameTerm | PropertyTerm | PairTerm | SetOperation;

const PAIR_FIELDS: Readonly<Record<string, 'tags' | 'annotations'>> = {
  tags: 'tags', tag: 'tags', annotation: 'annotations', annotations: 'annotations',
};

const JOIN_HINT = "join terms with ',' (or), '&' (and) or '!' (minus)";

/**
 * Parses a target expression. Grammar (lowest precedence first; whitespace around operators is ignored):
 *
 *     union        = intersection { "," intersection }
 *     intersection = difference { "&" difference }
 *     difference   = ( primary | "!" primary ) { "!" primary }     leading "!" = working set minus
 *     primary      = term | "(" union ")"
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

  const primary = (afterBang: boolean): TargetExpr => {
    const tok = peek();
    if (tok.kind === 'term') { pos++; return parseTerm(tok, expr); }
    if (isOp(tok, '(')) {
      pos++;
      const inner = union();
      const close = peek();
      if (isOp(close, ')')) { pos++; return inner; }
      if (close.kind === 'end') throw targetSyntaxError(expr, "unclosed '('", tok.column, "add a matching ')'");
      throw targetSyntaxError(expr, `unexpected '${describe(close)}'`, close.column, JOIN_HINT);
    }
    if (isOp(tok, '!')) {
      throw targetSyntaxError(expr, "unexpected '!'", tok.column,
        afterBang ? "'!' subtracts: a!b, or !b for the working set minus b" : undefined);
    }
    throw targetSyntaxError(expr, 'empty term', tok.column);
  };

  const difference = (): TargetExpr => {
    let left: TargetExpr;
    const first = peek();
    if (isOp(first, '!')) {
      pos++;
      left = { kind: 'difference', left: { kind: 'all', text: '*', column: first.column }, right: primary(true) };
    } else {
      left = primary(false);
    }
    while (isOp(peek(), '!')) {
      pos++;
      left = { kind: 'difference', left, right: primary(true) };
    }
    return left;
  };

  const intersection = (): TargetExpr => {
    let left = difference();
    while (isOp(peek(), '&')) { pos++; left = { kind: 'intersection', left, right: difference() }; }
    return left;
  };

  function union(): TargetExpr {
    let left = intersection();
    while (isOp(peek(), ',')) { pos++; left = { kind: 'union', left, right: intersection() }; }
    return left;
  }

  const result = union();
  const rest = peek();
  if (rest.kind !== 'end') {
    if (isOp(rest, ')')) throw targetSyntaxError(expr, "unbalanced ')'", rest.column, "remove it or add a matching '('");
    throw targetSyntaxError(expr, `unexpected '${describe(rest)}'`, rest.column, JOIN_HINT);
  }
  return result;
}

const INDEX_TERM = /^(\d+(-\d+)?|\[[\d,\-/\s]*\d[\d,\-/\s]*\])$/;

/** Classifies one term: `key=value`, then index, then name (bare cluster names are resolved later, with a scope). */
function parseTerm(tok: Extract<Token, { kind: 'term' }>, expr: string): TargetExpr {
  const src = tok.text;
  const base = { text: src.text, column: tok.column };
  if (src.text === '') throw targetSyntaxError(expr, 'empty term', tok.column);
  if (src.text === '*' && !src.quoted[0]) return { kind: 'all', ...base };

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
