import { expect } from 'chai';
import fc from 'fast-check';
import { DustError, isDustError } from '../../src/errors/dust-error.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import type { DustNode } from '../../src/inventory/node.js';
import {
  expandNodeRange, foldNodeNames, parseHostList, parseTarget, resolveTarget, type TargetScope,
} from '../../src/targets/index.js';
import { anyExpression, CLUSTERS, fuzz, inventory, nodeName, validExpression } from './arbitraries.js';

const TARGET_CODES = ['DUST_TARGET_SYNTAX', 'DUST_TARGET_UNKNOWN_PROPERTY', 'DUST_HOST_FILE'];

function scopeOver(nodes: readonly DustNode[], workingSet: readonly DustNode[] = nodes): TargetScope {
  return {
    nodes, workingSet, clusterNames: new Set(CLUSTERS),
    // `rack` and `ip` are always known keys, even in an inventory where no node has them.
    virtual: { keys: ['last', 'rack', 'ip'], value: (n, key) => (key === 'last' ? undefined : n.props[key]) },
    hostList: (file) => {
      if (file !== 'hosts') throw new DustError(ErrorCodes.HostFile, `file:${file}: cannot read host list: no such file`);
      return parseHostList(nodes.filter((_, i) => i % 3 === 0).map((n) => n.name).join('\n'), file);
    },
  };
}

/** Names a target selects, sorted; undefined when it is (legitimately) refused. */
function select(expr: string, sc: TargetScope): string[] | undefined {
  try {
    return resolveTarget(expr, sc).map((n) => n.name).sort();
  } catch (err) {
    if (isDustError(err) && TARGET_CODES.includes(err.code)) return undefined;
    throw err;
  }
}

describe('fuzz: target language', function () {
  this.timeout(60000);

  it('any typed text parses or fails with one target DustError line, never anything else', () => {
    fc.assert(fc.property(anyExpression, inventory, (expr, nodes) => {
      try {
        parseTarget(expr);
        resolveTarget(expr, scopeOver(nodes));
      } catch (err) {
        if (!isDustError(err)) throw err;
        expect(TARGET_CODES, `${err.code}: ${err.message}`).to.include(err.code);
        // One line, and no control character from the input reaches the terminal.
        expect(err.message).to.not.match(/[\u0000-\u001f\u007f]/);
        expect(err.hint ?? '').to.not.match(/[\u0000-\u001f\u007f]/);
      }
    }), fuzz(1001, 3000));
  });

  it('set algebra holds: a!a is empty, a,b = b,a, a&b ⊆ a, a^b = (a!b),(b!a), !a = *!a', () => {
    fc.assert(fc.property(validExpression, validExpression, inventory, (a, b, nodes) => {
      const sc = scopeOver(nodes, nodes.filter((n) => n.state !== 'pending'));
      const A = select(a, sc);
      const B = select(b, sc);
      fc.pre(A !== undefined && B !== undefined);
      expect(select(`(${a})!(${a})`, sc)).to.deep.equal([]);
      expect(select(`(${a}),(${b})`, sc)).to.deep.equal(select(`(${b}),(${a})`, sc));
      expect(A).to.include.members(select(`(${a})&(${b})`, sc) ?? ['refused']);
      expect(select(`(${a})^(${b})`, sc)).to.deep.equal(select(`((${a})!(${b})),((${b})!(${a}))`, sc));
      expect(select(`!(${a})`, sc)).to.deep.equal(select(`*!(${a})`, sc));
      // Left to right, one precedence: `a,b!a` is (a,b)!a = b!a.
      expect(select(`${a.includes('(') ? `(${a})` : a},(${b})!(${a})`, sc)).to.deep.equal(select(`(${b})!(${a})`, sc));
    }), fuzz(1002, 600));
  });

  it('folding then expanding gives back the same set (several axes), and the fold is canonical', () => {
    fc.assert(fc.property(fc.uniqueArray(nodeName, { maxLength: 60 }), (names) => {
      const folded = foldNodeNames(names);
      const expanded = expandNodeRange(folded);
      expect([...expanded].sort(), folded).to.deep.equal([...new Set(names)].sort());
      expect(new Set(expanded).size, `duplicates in ${folded}`).to.equal(expanded.length);
      expect(foldNodeNames(expanded)).to.equal(folded);
      expect(foldNodeNames([...names].reverse())).to.equal(folded);
    }), fuzz(1003, 2000));
  });

  it('a folded list of nodes is a target selecting exactly those nodes', () => {
    fc.assert(fc.property(inventory, fc.infiniteStream(fc.boolean()), (nodes, coin) => {
      const subset = nodes.filter(() => coin.next().value);
      fc.pre(subset.length > 0);
      const folded = foldNodeNames(subset.map((n) => n.name));
      expect(select(folded, scopeOver(nodes)), folded).to.deep.equal(subset.map((n) => n.name).sort());
    }), fuzz(1004, 800));
  });
});
