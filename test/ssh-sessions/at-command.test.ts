import { expect } from 'chai';
import { requireSshd, startSshdCluster, type SshdCluster } from '../harness/sshd-cluster.js';
import type { CommandContext, DustNode, NodeRunResult, Output } from '../../src/plugins/api.js';
import { atCommand, summarize } from '../../src/plugins/builtin/at.js';
import { isDustError } from '../../src/errors/dust-error.js';
import type { SessionManager } from '../../src/sessions/index.js';
import { clusterNodes, dustNode, managerFor } from './helpers.js';

function recordingOutput(): { out: Output; printed: string[]; warned: string[]; progress: string[] } {
  const printed: string[] = [], warned: string[] = [], progress: string[] = [];
  const out: Output = {
    isTTY: false, colorEnabled: false, json: false, record: () => undefined,
    print: (t) => printed.push(t), printErr: (t) => printed.push(t), info: () => undefined, success: () => undefined,
    warn: (t) => warned.push(t), error: (e) => warned.push(String(e)), table: () => undefined,
    progress: (t) => { progress.push(t); return { update: (u) => progress.push(u), done: () => progress.push('(done)') }; },
  };
  return { out, printed, warned, progress };
}

function ctxFor(raw: string, nodes: DustNode[], skipped: DustNode[], sessions: SessionManager, out: Output): CommandContext {
  return {
    command: 'at', line: `@x ${raw}`, raw, args: [], flags: {}, positionals: [], target: 'x', nodes, skipped,
    out, sessions, signal: new AbortController().signal, interactive: true, state: { config: {} }, muted: new Set<string>(),
  } as unknown as CommandContext;
}

const result = (name: string, status: NodeRunResult['status'], exitCode: number | null): NodeRunResult =>
  ({ node: dustNode(name, '127.0.0.1', 22), status, exitCode, output: [] });

describe('the @ command', function () {
  this.timeout(120_000);
  let cluster: SshdCluster;
  let sm: SessionManager;

  before(async function () {
    requireSshd(this);
    cluster = await startSshdCluster({ count: 3 });
    ({ sm } = managerFor(cluster));
  });
  after(async () => {
    await sm?.closeAll();
    await cluster?.down();
  });

  it('summarises failures by rc, unreachable, waiting and interrupted with folded names', () => {
    expect(summarize([result('worker1', 'ok', 0)])).to.equal('');
    expect(summarize([
      result('worker3', 'failed', 1), result('worker7', 'failed', 1), result('worker4', 'failed', 127),
      result('worker9', 'unreachable', null), result('worker2', 'waiting', null), result('worker1', 'ok', 0),
    ])).to.equal('✖ 2 failed: worker[3,7] (rc 1) · 1 failed: worker4 (rc 127) · 1 unreachable: worker9 · 1 waiting for input: worker2 — answer with @worker2 <text>');
    expect(summarize([result('worker2', 'waiting', null), result('worker5', 'interrupted', 130), result('worker1', 'ok', 0)]))
      .to.equal('… 1 waiting for input: worker2 · 1 interrupted: worker5 — answer with @worker2 <text>');
  });

  it('prints [name] line per node, warns about skipped nodes and returns false on failure', async () => {
    const nodes = clusterNodes(cluster);
    const { out, printed, warned, progress } = recordingOutput();
    const skipped = [dustNode('worker3', '127.0.0.1', 22), dustNode('worker7', '127.0.0.1', 22)];
    const ok = await atCommand.run(ctxFor('echo hi; [ "$(basename "$(dirname "$HOME")")" != node1 ]', nodes, skipped, sm, out));
    expect(ok).to.equal(false);
    expect(warned).to.deep.equal(['skipped 2 not running: worker[3,7]']);
    for (const n of nodes) expect(printed).to.include(`[${n.name}] hi`);
    expect(printed.at(-1)).to.equal('✖ 1 failed: node1 (rc 1)');
    // The first command opens the sessions: the status line says so (a cold start of 1,000 nodes takes a while).
    expect(progress[0]).to.equal('0/3 done · 3 connecting · running: node[0-2]');
    expect(progress.at(-1)).to.equal('(done)');
    const again = recordingOutput();
    await atCommand.run(ctxFor('true', nodes, [], sm, again.out));
    expect(again.progress[0]).to.equal('0/3 done · running: node[0-2]');
  });

  it('raw shell needs exactly one node', async () => {
    const nodes = clusterNodes(cluster);
    const { out } = recordingOutput();
    try {
      await atCommand.run(ctxFor('', nodes, [], sm, out));
      expect.fail('should have thrown');
    } catch (err) {
      expect(isDustError(err) && err.code).to.equal('DUST_RAW_SHELL_TARGET');
      expect((err as Error).message).to.include('matched 3');
    }
  });
});
