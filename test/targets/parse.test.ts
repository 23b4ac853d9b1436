import { expect } from 'chai';
import { isDustError } from '../../src/errors/dust-error.js';
import { parseTarget, type TargetExpr } from '../../src/targets/index.js';

/** Compact rendering of a tree, so precedence can be asserted in one line. */
function show(e: TargetExpr): string {
  switch (e.kind) {
    case 'all': return '*';
    case 'index': return `#${e.text}`;
    case 'name': return `name:${e.pattern.source}`;
    case 'property': return `${e.key}=${e.value.source}`;
    case 'pairs': return `${e.field}{${e.key.source}${e.value === undefined ? '' : `:${e.value.source}`}}`;
    case 'union': return `(${show(e.left)} | ${show(e.right)})`;
    case 'intersection': return `(${show(e.left)} & ${show(e.right)})`;
    case 'difference': return `(${show(e.left)} - ${show(e.right)})`;
    case 'xor': return `(${show(e.left)} ^ ${show(e.right)})`;
    case 'file': return `file{${e.path}}`;
  }
}

function syntaxError(expr: string): { message: string; hint: string | undefined } {
  try {
    parseTarget(expr);
  } catch (err) {
    expect(isDustError(err), `error for ${expr}`).to.equal(true);
    if (!isDustError(err)) throw err;
    expect(err.code).to.equal('DUST_TARGET_SYNTAX');
    expect(err.message, 'one line').not.to.include('\n');
    return { message: err.message, hint: err.hint };
  }
  throw new Error(`expected '${expr}' to be rejected`);
}

describe('targets: parseTarget', () => {
  describe('tree shape and precedence', () => {
    const cases: Array<[string, string]> = [
      ['', '*'],
      ['   ', '*'],
      ['*', '*'],
      ['3', '#3'],
      ['2-5', '#2-5'],
      ['[2-5,9]', '#[2-5,9]'],
      ['worker*', 'name:worker*'],
      ['slurm1', 'name:slurm1'],
      ['node[1,3]', 'name:node[1,3]'],
      ['w[!x]', 'name:w[!x]'],
      ['State=Running', 'state=Running'],
      ['name=a=b', 'name=a=b'],
      ['tags=aws:cloudformation:stack-name:slurm1', 'tags{aws:cloudformation:stack-name:slurm1}'],
      ['tag=env', 'tags{env}'],
      ['annotations=drained', 'annotations{drained}'],
      // One precedence, left to right, as ClusterShell's nodeset reads them.
      ['a,b&c', '((name:a | name:b) & name:c)'],
      ['a&b,c', '((name:a & name:b) | name:c)'],
      ['a&b!c', '((name:a & name:b) - name:c)'],
      ['a!b&c', '((name:a - name:b) & name:c)'],
      ['a,b!c', '((name:a | name:b) - name:c)'],
      ['a!b!c', '((name:a - name:b) - name:c)'],
      ['a^b', '(name:a ^ name:b)'],
      ['a,b^c', '((name:a | name:b) ^ name:c)'],
      ['a^b!c', '((name:a ^ name:b) - name:c)'],
      ['a^(b!c)', '(name:a ^ (name:b - name:c))'],
      ['node[01-05]^node[04-08]', '(name:node[01-05] ^ name:node[04-08])'],
      ['w[^x]', 'name:w[^x]'],
      ['(a,b)&c', '((name:a | name:b) & name:c)'],
      ['a,(b&c)', '(name:a | (name:b & name:c))'],
      ['!a', '(* - name:a)'],
      ['!a!b', '((* - name:a) - name:b)'],
      ['a&!b', '(name:a & (* - name:b))'],
      ['a,!b', '(name:a | (* - name:b))'],
      ['a^!b', '(name:a ^ (* - name:b))'],
      ['!(a,b)', '(* - (name:a | name:b))'],
      ['((a))', 'name:a'],
      [' a , b & ( c ! d ) ', '((name:a | name:b) & (name:c - name:d))'],
      ['file:hosts.txt', 'file{hosts.txt}'],
      ['FILE:/etc/hosts.d/web-1.list!web1', '(file{/etc/hosts.d/web-1.list} - name:web1)'],
      ['!file:down.txt', '(* - file{down.txt})'],
      ['file:"my hosts,2.txt"', 'file{my hosts,2.txt}'],
      ['file:a=b', 'file{a=b}'],
      ['"file:x"', 'name:file:x'],
      ['worker[0-9]!worker[3,7]', '(name:worker[0-9] - name:worker[3,7])'],
      ['tags="team:a,b"', 'tags{team:a,b}'],
      ['tags="a b"&x', '(tags{a b} & name:x)'],
    ];
    for (const [expr, tree] of cases) {
      it(`parses '${expr}' as ${tree}`, () => expect(show(parseTarget(expr))).to.equal(tree));
    }

    it('records 1-based columns of terms', () => {
      const e = parseTarget('a, bb');
      expect(e.kind).to.equal('union');
      if (e.kind !== 'union') return;
      expect(e.left).to.include({ kind: 'name', column: 1 });
      expect(e.right).to.include({ kind: 'name', column: 4 });
    });

    it('lower-cases property keys and splits tags at the last unquoted colon', () => {
      const e = parseTarget('TAGS="aws:stack":"x:y"');
      expect(show(e)).to.equal('tags{aws:stack:x:y}');
      if (e.kind !== 'pairs') throw new Error('expected pairs');
      expect(e.key.source).to.equal('aws:stack');
      expect(e.value?.source).to.equal('x:y');
    });
  });

  describe('syntax errors name the problem, its column and the whole expression', () => {
    const cases: Array<[string, string, string?]> = [
      ['worker[0-]', "target: unexpected ']' at column 10 in 'worker[0-]'", 'numeric ranges look like [1-5] or [01-10,15]'],
      ['worker[0-', "target: unclosed '[' at column 7 in 'worker[0-'", 'close it: worker[1-5] or worker[abc]'],
      ['w]', "target: unexpected ']' at column 2 in 'w]'", "a ']' must close a '['"],
      ['n[1,,2]', "target: unexpected ',' at column 5 in 'n[1,,2]'"],
      ['n[1,]', "target: unexpected ']' at column 5 in 'n[1,]'"],
      ['n[1-2/0]', "target: range step 0 at column 3 in 'n[1-2/0]'", 'a step must be at least 1: [0-10/2]'],
      ['worker[9-3]', "target: range 9-3 is descending at column 8 in 'worker[9-3]'", 'write it as 3-9'],
      ['[9-3]', "target: range 9-3 is descending at column 2 in '[9-3]'", 'write it as 3-9'],
      ['9-3', "target: range 9-3 is descending at column 1 in '9-3'", 'write it as 3-9'],
      ['w[z-a]', "target: range z-a is descending at column 3 in 'w[z-a]'", 'write it as a-z'],
      ['n[01-0010]', "target: range mixes zero-padding widths 2 and 4 at column 3 in 'n[01-0010]'"],
      ['n[01,001]', "target: range mixes zero-padding widths 2 and 3 at column 6 in 'n[01,001]'"],
      ['node[0-99999999]', "target: range expands to more than 100000 names at column 5 in 'node[0-99999999]'",
        'use smaller ranges, or a glob such as node*'],
      ['a[0-999]b[0-999]', "target: range expands to more than 100000 names at column 10 in 'a[0-999]b[0-999]'"],
      ['n[1234567890123456]', "target: number 1234567890123456 is too large at column 3 in 'n[1234567890123456]'"],
      ['a[]', "target: empty '[]' at column 2 in 'a[]'"],
      ['a[!]', "target: empty '[]' at column 2 in 'a[!]'"],
      ['a,,b', "target: empty term at column 3 in 'a,,b'"],
      ['a,', "target: empty term at column 3 in 'a,'"],
      [',a', "target: empty term at column 1 in ',a'"],
      ['a&', "target: empty term at column 3 in 'a&'"],
      ['a & & b', "target: empty term at column 5 in 'a & & b'"],
      ['()', "target: empty term at column 2 in '()'"],
      ['""', "target: empty term at column 1 in '\"\"'"],
      ['a)', "target: unbalanced ')' at column 2 in 'a)'", "remove it or add a matching '('"],
      ['(a,b))', "target: unbalanced ')' at column 6 in '(a,b))'"],
      ['(a', "target: unclosed '(' at column 1 in '(a'", "add a matching ')'"],
      ['x&((a)', "target: unclosed '(' at column 3 in 'x&((a)'"],
      ['a b', "target: unexpected 'b' at column 3 in 'a b'", "join terms with ',' (or), '&' (and), '!' (minus) or '^' (in one but not both)"],
      ['a(b)', "target: unexpected '(' at column 2 in 'a(b)'"],
      ['(a b)', "target: unexpected 'b' at column 4 in '(a b)'"],
      ['!!a', "target: unexpected '!' at column 2 in '!!a'", "'!' subtracts: a!b, or !b for the working set minus b"],
      ['a!!b', "target: unexpected '!' at column 3 in 'a!!b'"],
      ['a^', "target: empty term at column 3 in 'a^'"],
      ['^a', "target: empty term at column 1 in '^a'"],
      ['a^^b', "target: empty term at column 3 in 'a^^b'"],
      ['file:', "target: missing file name after 'file:' at column 6 in 'file:'"],
      ['a,file:""', "target: missing file name after 'file:' at column 10 in 'a,file:\"\"'"],
      [`${'('.repeat(65)}a${')'.repeat(65)}`, `target: more than 64 nested '(' at column 65 in '${'('.repeat(65)}a${')'.repeat(65)}'`, 'flatten the expression'],
      ['x"y', "target: unclosed '\"' at column 2 in 'x\"y'", 'end the quoted text with another "'],
      ['state=', "target: missing value after 'state=' at column 7 in 'state='",
        'a value is needed: state=<glob>; state=* selects every node that has a state'],
      ['a,state=""', "target: missing value after 'state=' at column 9 in 'a,state=\"\"'"],
      ['tags=', "target: missing value after 'tags=' at column 6 in 'tags='"],
      ['=running', "target: missing property name before '=' at column 1 in '=running'", 'write key=value, e.g. state=running'],
      ['tags=:x', "target: missing tag key before ':' at column 6 in 'tags=:x'",
        'write tags=key:value; globs work on both sides, e.g. tags=*:prod'],
      ['annotation=:x', "target: missing annotation key before ':' at column 12 in 'annotation=:x'"],
      ['name=w[0-', "target: unclosed '[' at column 7 in 'name=w[0-'"],
      ['tags=env:p[0-]', "target: unexpected ']' at column 14 in 'tags=env:p[0-]'"],
    ];
    for (const [expr, message, hint] of cases) {
      it(`rejects '${expr}'`, () => {
        const err = syntaxError(expr);
        expect(err.message).to.equal(message);
        if (hint !== undefined) expect(err.hint).to.equal(hint);
      });
    }
  });
});
