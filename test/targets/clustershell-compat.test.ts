/**
 * dust against ClusterShell's own `nodeset` (Debian package `clustershell`; .ci/run installs it): the same
 * folds and the same set algebra, including the one-precedence, left-to-right reading of `, & ! ^`.
 * Skips, and says so in the test list, where `nodeset` is not installed.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { expect } from 'chai';
import fc from 'fast-check';
import type { DustNode } from '../../src/inventory/node.js';
import { expandNodeRange, foldNodeNames, resolveTarget } from '../../src/targets/index.js';

const run = promisify(execFile);

/** The `nodeset` command, or undefined when it is not installed. */
async function findNodeset(): Promise<string | undefined> {
  try {
    const { stdout } = await run('sh', ['-c', 'command -v nodeset']);
    const bin = stdout.trim();
    const { stdout: folded } = await run(bin, ['-f', 'n1,n2'], { timeout: 20000 });
    return folded.trim() === 'n[1-2]' ? bin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Folds (`f`) or expands (`e`) many expressions with ClusterShell's NodeSet in ONE Python process — the
 * interpreter `nodeset` itself runs on, so the library is importable — instead of one start-up per case.
 */
function clusterShell(bin: string, requests: ReadonlyArray<readonly ['f' | 'e', string]>): string[] {
  const interpreter = /^#!\s*(\S+)/.exec(fs.readFileSync(bin, 'utf8').split('\n')[0] ?? '')?.[1] ?? 'python3';
  const program = [
    'import sys',
    'from ClusterShell.NodeSet import NodeSet',
    'for line in sys.stdin:',
    "    op, expr = line.rstrip('\\n').split(' ', 1)",
    '    ns = NodeSet(expr)',
    "    print(str(ns) if op == 'f' else ' '.join(ns))",
  ].join('\n');
  const out = execFileSync(interpreter, ['-c', program], { input: requests.map(([op, e]) => `${op} ${e}\n`).join(''), encoding: 'utf8', timeout: 30000 });
  return out.split('\n').slice(0, requests.length);
}

/** The top-level terms of a fold, order ignored (dust orders by name, nodeset by size). */
const terms = (folded: string): string[] => {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < folded.length; i++) {
    if (folded[i] === '[') depth++;
    else if (folded[i] === ']') depth--;
    else if (folded[i] === ',' && depth === 0) { parts.push(folded.slice(start, i)); start = i + 1; }
  }
  parts.push(folded.slice(start));
  return parts.sort();
};

function nodesNamed(names: readonly string[]): DustNode[] {
  return names.map((name, i) => ({
    index: i + 1, name, source: 'static', cluster: undefined, state: 'running', host: name, port: 22, user: undefined,
    identityFile: undefined, proxyJump: undefined, tags: {}, annotations: {}, props: {},
  }));
}

// Names without zero padding: nodeset merges `n1` and `n01` into one bracket (`n[1,01]`), dust keeps them apart.
const axisValue = fc.integer({ min: 1, max: 12 });
const name = fc.oneof(
  fc.tuple(fc.constantFrom('n', 'gpu', 'login'), axisValue).map(([p, a]) => `${p}${a}`),
  fc.tuple(axisValue, axisValue).map(([a, b]) => `rack${a}-n${b}`),
  fc.tuple(fc.integer({ min: 1, max: 3 }), axisValue, fc.integer({ min: 1, max: 2 })).map(([a, b, c]) => `r${a}n${b}p${c}`),
);
const range = fc.tuple(fc.constantFrom('n', 'gpu', 'rack2-n'), axisValue, axisValue)
  .map(([p, a, b]) => `${p}[${Math.min(a, b)}-${Math.max(a, b)}]`);
const term = fc.oneof(name, range);
const expression = fc.tuple(term, fc.array(fc.tuple(fc.constantFrom(',', '&', '!', '^'), term), { minLength: 1, maxLength: 5 }))
  .map(([first, rest]) => first + rest.map(([op, t]) => op + t).join(''));

describe('targets: agree with ClusterShell nodeset', function () {
  this.timeout(60000);
  let bin = '';
  before(async function () {
    bin = (await findNodeset()) ?? '';
    if (bin === '') {
      console.log('    (nodeset from clustershell is not installed: skipping the cross-check; apt-get install clustershell)');
      this.skip();
    }
  });

  it('the nodeset command and its library agree (the library answers the bulk checks below)', () => {
    expect(clusterShell(bin, [['f', 'rack1-node[1-3],rack2-node[1-3]'], ['e', 'node[01-05]^node[04-08]']]))
      .to.deep.equal([execFileSync(bin, ['-f', 'rack1-node[1-3],rack2-node[1-3]'], { encoding: 'utf8' }).trim(),
        execFileSync(bin, ['-e', 'node[01-05]^node[04-08]'], { encoding: 'utf8' }).trim()]);
  });

  it('folds like nodeset -f: the same terms for hand-picked sets, never more terms for 200 random ones', async () => {
    const picked = [
      'rack1-node[1-3],rack2-node[1-3]', 'rack1-node1,rack1-node2,rack2-node1', 'r[1-3]-n[1-2],r[1-2]-n3',
      'a1b1,a1b2,a2b1,a2b2,a3b3', 'x1y1z1,x1y1z2,x2y1z1,x2y1z2', 'a1-b1,a2-b1,a3-b1,a1-b2', 'node1-ib,node2-ib,node1',
      'master,worker[0-9,12]', 'gpu-[1,3]-[4-5]-[0-6/2]', 'rack3-n10,rack1-n6,rack7-n10,rack7-n6',
    ];
    const random = fc.sample(fc.uniqueArray(name, { minLength: 1, maxLength: 40 }), { seed: 20260101, numRuns: 200 }).map((ns) => ns.join(','));
    const theirs = clusterShell(bin, [...picked, ...random].map((c) => ['f', c] as const));
    picked.forEach((c, i) => expect(terms(foldNodeNames(expandNodeRange(c))), c).to.deep.equal(terms(theirs[i] ?? '')));
    let same = 0;
    random.forEach((c, i) => {
      const names = expandNodeRange(c);
      const ours = foldNodeNames(names);
      const their = theirs[picked.length + i] ?? '';
      expect(expandNodeRange(ours).sort(), c).to.deep.equal(expandNodeRange(their).sort());
      expect(terms(ours).length, `${c}: dust ${ours} vs nodeset ${their}`).to.be.at.most(terms(their).length);
      if (terms(ours).join() === terms(their).join()) same++;
    });
    // nodeset's greedy pairwise merge and dust's linear fold agree on most sets (the rest: dust has fewer terms).
    expect(same, 'identical folds').to.be.at.least(random.length * 0.75);
  });

  it('evaluates , & ! ^ the same way: one precedence, left to right (200 random expressions)', async () => {
    const cases = ['node[01-05]^node[04-08]', 'a,b&b', 'a,b!b', 'a!b,b', 'a&b,b', 'a,b^b', 'a^b&b',
      ...fc.sample(expression, { seed: 4242, numRuns: 200 })];
    const theirs = clusterShell(bin, cases.map((c) => ['e', c] as const));
    cases.forEach((c, i) => {
      // The inventory: every name any part of the expression can stand for.
      const universe = [...new Set(c.split(/[,&!^]/).flatMap((t) => expandNodeRange(t)))];
      const scope = { nodes: nodesNamed(universe), workingSet: nodesNamed(universe), clusterNames: new Set<string>() };
      scope.workingSet = scope.nodes;
      const ours = resolveTarget(c, scope).map((n) => n.name).sort();
      const expected = (theirs[i] ?? '').split(/\s+/).filter((x) => x !== '').sort();
      expect(ours, c).to.deep.equal(expected);
    });
  });
});
