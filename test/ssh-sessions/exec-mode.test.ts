import { expect } from 'chai';
import { requireSshd, startSshdCluster, type SshdCluster } from '../harness/sshd-cluster.js';
import type { SessionManager } from '../../src/sessions/index.js';
import type { NodeRunResult } from '../../src/plugins/api.js';
import { execWrapper } from '../../src/sessions/exec-protocol.js';
import { clusterNodes, managerFor, useLoginShellNode } from './helpers.js';

/** Quotes, backslashes, `!`, `$`, `%`, a newline and UTF-8: what no login shell may touch. */
const NASTY = `printf '%s|' "it's" 'a\\tb' "\\$HOME" '100%' "!x" 'ü€'; echo
echo second-line`;
const NASTY_OUT = ["it's|a\\tb|$HOME|100%|!x|ü€|", 'second-line'];

describe('no-PTY exec mode (sessions.exec over real sshd)', function () {
  this.timeout(120_000);

  it('the wrapper is one line with the command as octal escapes only', () => {
    const w = execWrapper(NASTY);
    expect(w).to.match(/^exec \/bin\/sh -c '[^'\n!]*'$/);
    expect(w).to.not.include('second-line');
  });

  // The wrapper is parsed by the node's login shell first: every one of these must hand the command over intact.
  for (const shell of ['/bin/bash', '/bin/dash', '/usr/bin/zsh', '/usr/bin/fish', '/usr/bin/tcsh']) {
    describe(`through ${shell} as login shell`, () => {
      const f = useLoginShellNode(shell);

      it('keeps stdout and stderr apart, with the exit status, and passes stdin bytes through', async () => {
        const nodes = clusterNodes(f.cluster);
        const [r] = await f.sm.exec(nodes, `${NASTY}; echo to-stderr >&2; exit 7`);
        expect(r!.output).to.deep.equal(NASTY_OUT);
        expect(r!.stderr).to.deep.equal(['to-stderr']);
        expect([r!.status, r!.exitCode]).to.deep.equal(['failed', 7]);
        const input = Buffer.from([0, 1, 2, 4, 10, 13, 255, 0x03, 0x04, 65]);
        const [c] = await f.sm.exec(nodes, 'od -An -tx1 | tr -s " "', { stdin: input });
        expect(c!.output.join('').trim()).to.equal('00 01 02 04 0a 0d ff 03 04 41');
        expect(c!.status).to.equal('ok');
      });
    });
  }

  describe('stopping and scheduling', () => {
    let cluster: SshdCluster;
    let sm: SessionManager;
    before(async function () {
      requireSshd(this);
      cluster = await startSshdCluster({ count: 3 });
      ({ sm } = managerFor(cluster, { interruptGraceMs: 800 }));
    });
    after(async () => {
      await sm?.closeAll();
      await cluster?.down();
    });

    it('a timeout stops the command and what it started (SIGINT to its process group), rc 130', async () => {
      const nodes = clusterNodes(cluster).slice(0, 1);
      const [r] = await sm.exec(nodes, 'sleep 31337 & sleep 31338; echo never', { timeoutMs: 300 });
      expect([r!.status, r!.exitCode]).to.deep.equal(['timeout', 130]);
      expect(r!.error?.code).to.equal('DUST_TIMEOUT');
      expect(r!.output).to.deep.equal([]);
      const [ps] = await sm.exec(nodes, 'ps -eo args | grep -c "^sleep 3133[78]" || true');
      expect(ps!.output).to.deep.equal(['0']);
    });

    it('a command that ignores SIGINT gets SIGTERM (rc 143); Ctrl-C reports interrupted', async () => {
      const nodes = clusterNodes(cluster).slice(0, 1);
      const [r] = await sm.exec(nodes, 'trap "" INT; sleep 31339', { timeoutMs: 200 });
      expect([r!.status, r!.exitCode]).to.deep.equal(['timeout', 143]);
      const ac = new AbortController();
      const running = sm.exec(nodes, 'echo started; sleep 31340', { signal: ac.signal, onLine: () => ac.abort() });
      const [i] = await running;
      expect([i!.status, i!.exitCode, i!.output]).to.deep.equal(['interrupted', 130, ['started']]);
    });

    it('fanout 1 runs one node at a time; maxErrors 0 leaves the rest skipped, in node order', async () => {
      const nodes = clusterNodes(cluster);
      const log = `/tmp/dust-fanout-${process.pid}`;
      const seen: string[] = [];
      const results = await sm.exec(nodes, `echo start-$DUST_TEST_NODE >> ${log}; sleep 0.2; echo end-$DUST_TEST_NODE >> ${log}; cat ${log}`, {
        fanout: 1, onResult: (r) => seen.push(`${r.node.name}:${r.status}`),
      });
      const lines = results.at(-1)!.output;
      expect(lines).to.deep.equal(['start-node0', 'end-node0', 'start-node1', 'end-node1', 'start-node2', 'end-node2']);
      expect(seen).to.deep.equal(['node0:ok', 'node1:ok', 'node2:ok']);
      const failing: NodeRunResult[] = await sm.exec(nodes, `rm -f ${log}; [ $DUST_TEST_NODE != node0 ]`, { fanout: 1, maxErrors: 0 });
      expect(failing.map((r) => [r.node.name, r.status])).to.deep.equal([['node0', 'failed'], ['node1', 'skipped'], ['node2', 'skipped']]);
      expect(failing[1]!.error).to.deep.include({ code: 'DUST_SKIPPED' });
      expect(failing[1]!.error!.message).to.match(/1 node had failed \(--max-errors 0\)/);
    });

    it('keeps the exit status when the channel\'s whole life arrives in one read (a busy client)', async () => {
      const nodes = clusterNodes(cluster);
      const { transport } = managerFor(cluster);
      const within = <T>(p: Promise<T>, what: string): Promise<T> => Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} never came`)), 10_000))]);
      try {
        // Connected first, so that what follows is only the exec channel. Nobody reads these commands' output:
        // their end must come anyway.
        await within(Promise.all(nodes.map(async (n) => (await transport.exec(n, { command: 'echo unread' })).exit)), 'the end of an unread command');
        const pending = nodes.map((n) => transport.exec(n, { command: 'exit 3' }));
        // Block the event loop while the servers answer each step (channel open, then the exec request): the
        // request's success, the exit status, EOF and close then arrive in one socket read, and ssh2 emits them
        // all in one go, right after handing over the channel.
        for (let i = 0; i < 4; i++) {
          await new Promise((r) => setImmediate(r));
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
        }
        const procs = await within(Promise.all(pending), 'the channel');
        const exits = await within(Promise.all(procs.map((p) => p.exit)), 'the end of the command');
        expect(exits.map((e) => e.exitCode)).to.deep.equal(nodes.map(() => 3));
      } finally {
        await transport.close();
      }
    });

    it('a command run in the persistent shell as well as without a PTY sees the same PATH', async () => {
      const nodes = clusterNodes(cluster).slice(0, 1);
      const [pty] = await sm.run(nodes, 'echo "$PATH"');
      const [exec] = await sm.exec(nodes, 'echo "$PATH"');
      expect(exec!.output).to.deep.equal(pty!.output);
    });
  });
});
