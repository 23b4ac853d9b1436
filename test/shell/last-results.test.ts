import { expect } from 'chai';
import { LAST_RESULT_KEYS, LastResults } from '../../src/shell/last-results.js';
import { describeTargetKeys, resolveTarget, type TargetScope } from '../../src/targets/index.js';
import { names, scope } from '../targets/fixture.js';

describe('last results (targets last= and rc=)', () => {
  it('publishes a command\'s outcomes when it ends, not while it runs', () => {
    const lr = new LastResults();
    lr.begin();
    lr.record('worker1', { status: 'failed', exitCode: 2 });
    expect(lr.get('worker1')).to.equal(undefined);
    lr.end();
    expect(lr.property('worker1', 'last')).to.equal('failed');
    expect(lr.property('worker1', 'rc')).to.equal(2);
    expect(lr.property('worker2', 'last'), 'not part of the command').to.equal(undefined);
  });

  it('a command that ran on no node keeps the previous result; one that did replaces it whole', () => {
    const lr = new LastResults();
    lr.begin(); lr.record('a', { status: 'failed', exitCode: 1 }); lr.end();
    lr.begin(); lr.end();
    expect(lr.property('a', 'last')).to.equal('failed');
    lr.begin(); lr.record('b', { status: 'ok', exitCode: 0 }); lr.end();
    expect(lr.property('a', 'last')).to.equal(undefined);
    expect(lr.property('b', 'last')).to.equal('ok');
  });

  it('nested commands belong to the outermost one; records outside a command are ignored', () => {
    const lr = new LastResults();
    lr.record('x', { status: 'ok', exitCode: 0 });
    expect(lr.any).to.equal(false);
    lr.begin();
    lr.record('a', { status: 'ok', exitCode: 0 });
    lr.begin(); lr.record('b', { status: 'interrupted', exitCode: 130 }); lr.end();
    expect(lr.any, 'inner end does not publish').to.equal(false);
    lr.end();
    expect([lr.property('a', 'last'), lr.property('b', 'last'), lr.property('b', 'rc')]).to.deep.equal(['ok', 'interrupted', 130]);
    lr.end(); // an unbalanced end is harmless
    expect(lr.any).to.equal(true);
  });

  it('describes the last result for messages', () => {
    const lr = new LastResults();
    expect(lr.describe()).to.equal(undefined);
    lr.begin();
    lr.record('a', { status: 'ok', exitCode: 0 });
    lr.record('b', { status: 'failed', exitCode: 2 });
    lr.record('c', { status: 'failed', exitCode: 2 });
    lr.record('d', { status: 'unreachable', exitCode: null });
    lr.end();
    expect(lr.describe()).to.equal('4 nodes: 1 ok, 2 failed (rc 2), 1 unreachable');
  });

  it('a null exit code (unreachable) has no rc, so rc=* does not select it', () => {
    const lr = new LastResults();
    lr.begin(); lr.record('a', { status: 'unreachable', exitCode: null }); lr.end();
    expect(lr.property('a', 'rc')).to.equal(undefined);
  });

  describe('in the target language', () => {
    const lr = new LastResults();
    lr.begin();
    lr.record('worker1', { status: 'failed', exitCode: 1 });
    lr.record('worker2', { status: 'failed', exitCode: 2 });
    lr.record('worker3', { status: 'ok', exitCode: 0 });
    lr.record('worker4', { status: 'unreachable', exitCode: null });
    lr.end();
    const withLast = (): TargetScope => ({
      ...scope(),
      virtual: { keys: LAST_RESULT_KEYS, value: (n, k) => lr.property(n.name, k) },
    });
    const sel = (expr: string): string[] => names(resolveTarget(expr, withLast()));

    it('selects by status and exit code, with globs and set algebra', () => {
      expect(sel('last=failed')).to.deep.equal(['worker1', 'worker2']);
      expect(sel('rc=2')).to.deep.equal(['worker2']);
      expect(sel('rc=[1-2]')).to.deep.equal(['worker1', 'worker2']);
      expect(sel('last=failed,last=unreachable')).to.deep.equal(['worker1', 'worker2', 'worker4']);
      expect(sel('worker*!last=ok')).to.have.length(12);
      expect(sel('last=*')).to.deep.equal(['worker1', 'worker2', 'worker3', 'worker4']);
    });

    it('lists last and rc among the keys, and accepts them before any command ran', () => {
      expect(describeTargetKeys([], LAST_RESULT_KEYS)).to.include.members(['last', 'rc']);
      const empty: TargetScope = { ...scope(), virtual: { keys: LAST_RESULT_KEYS, value: () => undefined } };
      expect(resolveTarget('last=failed', empty)).to.deep.equal([]);
    });

    it('without the shell\'s keys, last= is an unknown property as before', () => {
      expect(() => resolveTarget('last=failed', scope())).to.throw(/unknown property 'last'/);
    });
  });
});
