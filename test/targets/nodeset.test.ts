import { expect } from 'chai';
import { isDustError } from '../../src/errors/dust-error.js';
import { expandNodeRange, foldNodeNames, resolveTarget } from '../../src/targets/index.js';
import { ALL, names, scope, seq } from './fixture.js';

/** Small deterministic PRNG (mulberry32) so the property tests are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

function expandError(pattern: string): string {
  try {
    expandNodeRange(pattern);
  } catch (err) {
    if (!isDustError(err)) throw err;
    expect(err.code).to.equal('DUST_TARGET_SYNTAX');
    return err.message;
  }
  throw new Error(`expected '${pattern}' to be rejected`);
}

describe('targets: expandNodeRange', () => {
  it('expands ranges and lists, padding the whole bracket', () => {
    expect(expandNodeRange('node[01-03,7]')).to.deep.equal(['node01', 'node02', 'node03', 'node07']);
    expect(expandNodeRange('worker[0-12]')).to.deep.equal(seq('worker', 0, 12));
    expect(expandNodeRange('node[01-10,15]')).to.deep.equal([...seq('node', 1, 10, 2), 'node15']);
    expect(expandNodeRange('n[08-100]')).to.have.lengthOf(93).and.to.include.members(['n08', 'n99', 'n100']);
  });
  it('sorts each bracket numerically and drops duplicates', () => {
    expect(expandNodeRange('n[3,1-2,2]')).to.deep.equal(['n1', 'n2', 'n3']);
    expect(expandNodeRange('n[1-2],n2,n1')).to.deep.equal(['n1', 'n2']);
  });
  it('steps', () => expect(expandNodeRange('n[0-10/5]')).to.deep.equal(['n0', 'n5', 'n10']));
  it('several brackets multiply, leftmost varies slowest', () => {
    expect(expandNodeRange('rack[1-2]-n[1-2]')).to.deep.equal(['rack1-n1', 'rack1-n2', 'rack2-n1', 'rack2-n2']);
  });
  it('top-level commas join sets; commas inside brackets do not', () => {
    expect(expandNodeRange('master, worker[0-2]')).to.deep.equal(['master', 'worker0', 'worker1', 'worker2']);
  });
  it('keeps case and literal names', () => {
    expect(expandNodeRange('Web[1-2]')).to.deep.equal(['Web1', 'Web2']);
    expect(expandNodeRange('master')).to.deep.equal(['master']);
    expect(expandNodeRange('')).to.deep.equal([]);
  });
  it('rejects globs, bad ranges and huge expansions', () => {
    expect(expandError('node*')).to.equal("target: cannot expand a glob at column 5 in 'node*'");
    expect(expandError('node[abc]')).to.equal("target: cannot expand a glob at column 5 in 'node[abc]'");
    expect(expandError('node[01-')).to.equal("target: unclosed '[' at column 5 in 'node[01-'");
    expect(expandError('node[3-1]')).to.equal("target: range 3-1 is descending at column 6 in 'node[3-1]'");
    expect(expandError('a,,b')).to.equal("target: empty name at column 3 in 'a,,b'");
    expect(expandError('node[0-99999999]')).to.equal("target: range expands to more than 100000 names at column 5 in 'node[0-99999999]'");
    expect(expandError('a[0-59999],b[0-59999]'))
      .to.equal("target: range expands to more than 100000 names at column 12 in 'a[0-59999],b[0-59999]'");
  });
  it('100000 names exactly is allowed', () => expect(expandNodeRange('n[1-100000]')).to.have.lengthOf(100000));
});

describe('targets: foldNodeNames', () => {
  it('folds the last number of names with the same prefix and suffix', () => {
    expect(foldNodeNames([...seq('worker', 0, 9), 'worker12', 'master'])).to.equal('master,worker[0-9,12]');
    expect(foldNodeNames(['node01', 'node02', 'node03'])).to.equal('node[01-03]');
  });
  it('prints a single member and names without digits plainly', () => {
    expect(foldNodeNames(['worker3'])).to.equal('worker3');
    expect(foldNodeNames(['master', 'bastion'])).to.equal('bastion,master');
    expect(foldNodeNames([])).to.equal('');
  });
  it('ignores duplicates and input order', () => {
    expect(foldNodeNames(['n3', 'n1', 'n2', 'n1'])).to.equal('n[1-3]');
  });
  it('keeps different paddings apart', () => {
    expect(foldNodeNames(['n1', 'n01'])).to.equal('n1,n01');
    expect(foldNodeNames(['n1', 'n2', 'n01', 'n02'])).to.equal('n[1-2],n[01-02]');
    expect(foldNodeNames(['n007', 'n7'])).to.equal('n7,n007');
  });
  it('lets unpadded numbers join a padded group when they print the same there', () => {
    expect(foldNodeNames(seq('node', 1, 10, 2))).to.equal('node[01-10]');
    expect(foldNodeNames(['n08', 'n09', 'n10', 'n100'])).to.equal('n[08-10,100]');
  });
  it('folds every digit run (several axes), as nodeset -f does', () => {
    expect(foldNodeNames(['rack1-node1', 'rack1-node2', 'rack1-node3', 'rack2-node1', 'rack2-node2', 'rack2-node3']))
      .to.equal('rack[1-2]-node[1-3]');
    expect(foldNodeNames(expandNodeRange('rack1-node[1-3],rack2-node[1-3]'))).to.equal('rack[1-2]-node[1-3]');
    expect(foldNodeNames(['rack1-node1', 'rack1-node2', 'rack2-node1'])).to.equal('rack1-node[1-2],rack2-node1');
    expect(foldNodeNames(['r1-a', 'r2-a', 'r1-b'])).to.equal('r[1-2]-a,r1-b');
    // The last axis folds first; equal last brackets then fold on the axis before.
    expect(foldNodeNames(expandNodeRange('r[1-3]-n[1-2],r[1-2]-n3'))).to.equal('r[1-2]-n[1-3],r3-n[1-2]');
    expect(foldNodeNames(expandNodeRange('a1b1,a1b2,a2b1,a2b2,a3b3'))).to.equal('a[1-2]b[1-2],a3b3');
    expect(foldNodeNames(expandNodeRange('x1y1z1,x1y1z2,x2y1z1,x2y1z2'))).to.equal('x[1-2]y1z[1-2]');
    expect(foldNodeNames(expandNodeRange('gpu-[1,3]-[4-5]-[0-6/2]'))).to.equal('gpu-[1,3]-[4-5]-[0,2,4,6]');
    expect(foldNodeNames(['a1-b1', 'a2-b2', 'a3-b3'])).to.equal('a1-b1,a2-b2,a3-b3');
    // Folded on the first axis this takes two terms; nodeset's merge prints three (n[01-09]-1,n[1-9]-2,n10-[1-2]).
    expect(foldNodeNames(expandNodeRange('n[01-10]-1,n[1-10]-2'))).to.equal('n[1-10]-2,n[01-10]-1');
    expect(foldNodeNames(expandNodeRange('rack3-n10,rack1-n6,rack7-n10,rack7-n6'))).to.equal('rack[1,7]-n6,rack[3,7]-n10');
  });
  it('expands several axes, leftmost slowest', () => {
    expect(expandNodeRange('rack[1-2]-node[1-3]')).to.deep.equal(
      ['rack1-node1', 'rack1-node2', 'rack1-node3', 'rack2-node1', 'rack2-node2', 'rack2-node3']);
  });
  it('folds 100,000 names of two axes without quadratic work (a quadratic fold never finishes here)', () => {
    const names = expandNodeRange('rack[1-100]-node[1-1000]');
    expect(foldNodeNames(names)).to.equal('rack[1-100]-node[1-1000]');
    const scattered = names.filter((_, i) => (i * 7919) % 13 !== 0);
    expect(sorted(expandNodeRange(foldNodeNames(scattered)))).to.deep.equal(sorted(scattered));
  });
  it('leaves very long digit runs alone', () => {
    expect(foldNodeNames(['i-01234567890123456789', 'i-01234567890123456788']))
      .to.equal('i-01234567890123456788,i-01234567890123456789');
  });

  it('property: folding then expanding gives back the same set (1000 random sets)', () => {
    const rand = prng(20240601);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const prefixes = ['n', 'node', 'rack1-n', 'gpu-', 'a1b', 'x', ''];
    const suffixes = ['', '-ib', 'a', '.lan'];
    for (let round = 0; round < 1000; round++) {
      const set = new Set<string>();
      const count = 1 + Math.floor(rand() * 30);
      for (let i = 0; i < count; i++) {
        if (rand() < 0.1) { set.add(pick(['master', 'bastion', 'login', 'x'])); continue; }
        const value = Math.floor(rand() * (rand() < 0.5 ? 20 : 1200));
        const width = pick([0, 0, 2, 3]);
        set.add(`${pick(prefixes)}${String(value).padStart(width, '0')}${pick(suffixes)}`);
      }
      const folded = foldNodeNames([...set]);
      const expanded = expandNodeRange(folded);
      expect(new Set(expanded).size, `duplicates in ${folded}`).to.equal(expanded.length);
      expect(sorted(expanded), `round ${round}: ${folded}`).to.deep.equal(sorted(set));
      expect(foldNodeNames(expanded), 'fold is canonical').to.equal(folded);
    }
  });

  it('property: a folded node list is a target selecting exactly those nodes', () => {
    const rand = prng(7);
    for (let round = 0; round < 200; round++) {
      const subset = ALL.filter(() => rand() < 0.4);
      if (subset.length === 0) continue; // '' would mean the whole working set
      const folded = foldNodeNames(names(subset));
      expect(names(resolveTarget(folded, scope())), folded).to.deep.equal(names(subset));
    }
  });
});
