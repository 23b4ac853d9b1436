/**
 * dust asks for echo off in the PTY request instead of running `stty -echo` per session. A server that ignores
 * PTY modes (like the demo's ssh2-based nodes) must still give clean output: here the harness's session wrapper
 * turns echo back on before the login shell starts, which is what such a server looks like from the client.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { requireSshd, startSshdCluster, type SshdCluster } from '../harness/sshd-cluster.js';
import type { DustNode } from '../../src/inventory/node.js';
import type { SessionManager } from '../../src/ssh/index.js';
import { clusterNodes, managerFor, type Collected } from './helpers.js';

describe('sessions: a server that ignores the PTY echo mode', function () {
  this.timeout(60_000);
  let cluster: SshdCluster;
  let sm: SessionManager;
  let seen: Collected;
  let nodes: DustNode[];

  before(async function () {
    requireSshd(this);
    cluster = await startSshdCluster({ count: 2 });
    const wrapper = path.join(cluster.baseDir, 'session-shell.sh');
    const text = readFileSync(wrapper, 'utf8').replace('\n', '\n[ -t 0 ] && stty echo\n');
    writeFileSync(wrapper, text);
    ({ sm, seen } = managerFor(cluster));
    nodes = clusterNodes(cluster);
  });
  after(async () => {
    await sm?.closeAll();
    await cluster?.down();
  });

  it('drops the echo of the first command, then turns echo off for good', async () => {
    const first = await sm.run(nodes, 'echo one; echo two');
    for (const r of first) expect([r.status, r.output]).to.deep.equal(['ok', ['one', 'two']]);
    const multi = await sm.run(nodes, 'echo a\necho "b c"');
    for (const r of multi) expect(r.output).to.deep.equal(['a', 'b c']);
    const mode = await sm.run(nodes.slice(0, 1), "stty -a | tr ' ;' '\\n\\n' | grep -x -e -echo -e echo");
    expect(mode[0]!.output).to.deep.equal(['-echo']);
    expect(seen.background, 'no echo leaked as background output').to.deep.equal([]);
  });

  it('drops the echo of ^C when the first command of a session is interrupted', async () => {
    const { sm: fresh, seen: freshSeen } = managerFor(cluster);
    try {
      const ac = new AbortController();
      const rs = await fresh.run(nodes.slice(0, 1), 'echo started; sleep 30', {
        signal: ac.signal,
        onLine: (_n, l) => { if (l === 'started') ac.abort(); },
      });
      expect([rs[0]!.status, rs[0]!.output]).to.deep.equal(['interrupted', ['started']]);
      const after = await fresh.run(nodes.slice(0, 1), 'echo alive');
      expect(after[0]!.output).to.deep.equal(['alive']);
      expect(freshSeen.background).to.deep.equal([]);
    } finally {
      await fresh.closeAll();
    }
  });

  it('still shows output of a first command whose own output looks like a command line', async () => {
    const { sm: fresh } = managerFor(cluster);
    try {
      const rs = await fresh.run(nodes.slice(0, 1), "echo \"eval 'x'\"");
      expect(rs[0]!.output).to.deep.equal(["eval 'x'"]);
    } finally {
      await fresh.closeAll();
    }
  });
});

describe('sessions: a server that honours the PTY echo mode', function () {
  this.timeout(60_000);
  let cluster: SshdCluster;
  let sm: SessionManager;

  before(async function () {
    requireSshd(this);
    cluster = await startSshdCluster({ count: 1, plainSessions: true });
    ({ sm } = managerFor(cluster));
  });
  after(async () => {
    await sm?.closeAll();
    await cluster?.down();
  });

  it('has echo off from the start, without a stty in the bootstrap', async () => {
    const nodes = clusterNodes(cluster);
    const mode = await sm.run(nodes, "stty -a | tr ' ;' '\\n\\n' | grep -x -e -echo -e echo");
    expect(mode[0]!.output).to.deep.equal(['-echo']);
    const where = await sm.run(nodes, 'echo "$HOME"; pwd');
    expect(where[0]!.output[0], 'HOME is the node home even without the wrapper').to.equal(cluster.nodes[0]!.homeDir);
  });
});
