/**
 * fast-check generators shared by the fuzz suites: node names with several numeric axes, random inventories,
 * and target expressions from dust's grammar (plus junk). Every suite runs with a fixed seed so a failure
 * reproduces; `DUST_FUZZ_RUNS=10` multiplies the runs for a deeper local session, `DUST_FUZZ_SEED` changes it.
 */
import fc from 'fast-check';
import type { DustNode } from '../../src/inventory/node.js';

/** fast-check parameters: the suite's own seed and run count unless the environment asks for more. */
export function fuzz(seed: number, numRuns: number): { seed: number; numRuns: number; endOnFailure: true } {
  const factor = Number(process.env['DUST_FUZZ_RUNS'] ?? '1');
  const override = process.env['DUST_FUZZ_SEED'];
  return {
    seed: override === undefined ? seed : Number(override),
    numRuns: Math.max(1, Math.round(numRuns * (Number.isFinite(factor) && factor > 0 ? factor : 1))),
    endOnFailure: true,
  };
}

const padded = (n: number, width: number): string => String(n).padStart(width, '0');

/** One digit run: small numbers, sometimes zero-padded (`7`, `07`, `007`). */
const axis = fc.tuple(fc.integer({ min: 0, max: 40 }), fc.constantFrom(0, 0, 0, 2, 3)).map(([n, w]) => padded(n, w));

/**
 * Node names that start with a letter (a bare number is an index, not a name): one to three numeric axes
 * around fixed words, `rack3-node07`, `gpu12`, `web`, `r1n2p3`.
 */
export const nodeName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('master', 'login', 'bastion', 'web'),
  fc.tuple(fc.constantFrom('n', 'node', 'gpu', 'web', 'db-'), axis).map(([p, a]) => p + a),
  fc.tuple(fc.constantFrom('rack', 'r'), axis, fc.constantFrom('-node', 'n', '-gpu'), axis).map(([p, a, q, b]) => p + a + q + b),
  fc.tuple(axis, axis, axis).map(([a, b, c]) => `r${a}n${b}p${c}`),
  fc.tuple(fc.constantFrom('n', 'x'), axis, fc.constantFrom('-ib', '.lan', 'a')).map(([p, a, s]) => p + a + s),
);

export const CLUSTERS = ['alpha', 'beta'] as const;
export const PROPERTY_KEYS = ['rack', 'ip', 'type'] as const;

/** A random inventory: unique names, a few clusters, states, tags and props that only some nodes have. */
export const inventory: fc.Arbitrary<DustNode[]> = fc.uniqueArray(
  fc.record({
    name: nodeName,
    cluster: fc.constantFrom<string | undefined>(...CLUSTERS, undefined),
    state: fc.constantFrom('running', 'stopped', 'pending'),
    env: fc.constantFrom<string | undefined>('prod', 'dev', undefined),
    rack: fc.option(fc.constantFrom('r1', 'r12', 'r2'), { nil: undefined }),
    ip: fc.option(fc.integer({ min: 1, max: 30 }).map((i) => `10.0.0.${i}`), { nil: undefined }),
  }),
  { minLength: 0, maxLength: 30, selector: (r) => r.name.toLowerCase() },
).map((records) => records.map((r, i): DustNode => ({
  index: i + 1,
  name: r.name,
  source: 'static',
  cluster: r.cluster,
  state: r.state,
  host: r.ip ?? `${r.name}.test`,
  port: 22,
  user: undefined,
  identityFile: undefined,
  proxyJump: undefined,
  tags: r.env === undefined ? {} : { env: r.env, 'aws:stack': 'x' },
  annotations: {},
  props: { ...(r.rack === undefined ? {} : { rack: r.rack }), ...(r.ip === undefined ? {} : { ip: r.ip }) },
})));

/** Glob/range patterns over node names. */
const namePattern: fc.Arbitrary<string> = fc.oneof(
  nodeName,
  fc.tuple(fc.constantFrom('n', 'node', 'gpu', 'rack', 'r', 'web', 'x'), fc.constantFrom('*', '?', '[1-9]', '[0-20]', '[01-10]', '[!1]', '[a-z]*', '[0-40/3]'))
    .map(([p, g]) => p + g),
  fc.tuple(fc.constantFrom('rack', 'r'), fc.constantFrom('[1-3]', '*', '[0-40]'), fc.constantFrom('-node', 'n'), fc.constantFrom('[1-5]', '*', '0[1-9]'))
    .map(([a, b, c, d]) => a + b + c + d),
  fc.constantFrom('*', '*a*', '?*'),
);

/** One term of a target that parses and names only keys the inventory knows. */
const validTerm: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: namePattern },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 35 }).map(String) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 15 })).map(([a, b]) => `${a}-${a + b}`) },
  { weight: 1, arbitrary: fc.constantFrom('state=running', 'state=stop*', 'state=*', 'cluster=alpha', 'cluster=*', 'name=n*', 'index=[1-9]') },
  { weight: 1, arbitrary: fc.constantFrom('tags=env:prod', 'tags=env', 'tags=*:dev', 'tag=aws:stack:x', 'annotation=*') },
  { weight: 1, arbitrary: fc.constantFrom(...CLUSTERS) },
  { weight: 1, arbitrary: nodeName.map((n) => `"${n}"`) },
);

/** Terms whose keys only some inventories have (never an error in rules; may be one in typed targets). */
const anyTerm: fc.Arbitrary<string> = fc.oneof(
  validTerm,
  fc.constantFrom('rack=r1*', 'ip=10.0.0.*', 'colour=red', 'last=failed', 'file:hosts', 'file:missing'),
);

function expressionOf(term: fc.Arbitrary<string>, ops: readonly string[]): fc.Arbitrary<string> {
  const { expr } = fc.letrec<{ expr: string; operand: string }>((tie) => ({
    operand: fc.oneof(
      { maxDepth: 3, depthIdentifier: 'target' },
      { weight: 4, arbitrary: term },
      { weight: 1, arbitrary: tie('expr').map((e) => `(${e})`) },
      { weight: 1, arbitrary: term.map((t) => `!${t}`) },
    ),
    expr: fc.tuple(tie('operand'), fc.array(fc.tuple(fc.constantFrom(...ops), tie('operand')), { maxLength: 3 }))
      .map(([first, rest]) => first + rest.map(([op, t]) => op + t).join('')),
  }));
  return expr;
}

/** Target expressions that parse (and name only properties every inventory is told about). */
export const validExpression = expressionOf(validTerm, [',', '&', '!', '^', ' , ', ' & ']);

/** Anything a person could type where a target goes: grammar, near-misses and junk. */
export const anyExpression: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: expressionOf(anyTerm, [',', '&', '!', '^', ' ', ',,', '!!', '&^']) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...'ab1[]-,&!^()*?="\':/ \tx9{}\\#@.é😀'.split('')), maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('n[', 'n[1-', '[', 'x[0-99999999]', '(((', 'tags=', 'file:', '"', 'a[!]', 'a[z-a]'), fc.string({ maxLength: 5 })).map(([a, b]) => a + b) },
);
