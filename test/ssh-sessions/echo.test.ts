/**
 * dust asks for echo off in the PTY request instead of running `stty -echo` per session. A server that ignores
 * PTY modes (like the demo's ssh2-based nodes) must still give clean output: here the harness's session wrapper
 * turns echo back on before the login shell starts, which is what such a server looks like from the client.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { managerFor, useSessionCluster } from './helpers.js';

describe('sessions: a server that ignores the PTY echo mode', function () {
  this.timeout(60_000);
  const f = useSessionCluster({ count: 2 }, {}, (cluster) => {
    const wrapper = path.join(cluster.baseDir, 'session-shell.sh');
    writeFileSync(wrapper, readFileSync(wrapper, 'utf8').replace('\n', '\n[ -t 0 ] && stty echo\n'));
  });

  it('drops the echo of the first command, then turns echo off for good', async () => {
    const first = await f.sm.run(f.nodes, 'echo one; echo two');
    for (const r of first) expect([r.status, r.output]).to.deep.equal(['ok', ['one', 'two']]);
    const multi = await f.sm.run(f.nodes, 'echo a\necho "b c"');
    for (const r of multi) expect(r.output).to.deep.equal(['a', 'b c']);
    const mode = await f.sm.run(f.nodes.slice(0, 1), "stty -a | tr ' ;' '\\n\\n' | grep -x -e -echo -e echo");
    expect(mode[0]!.output).to.deep.equal(['-echo']);
    expect(f.seen.background, 'no echo leaked as background output').to.deep.equal([]);
  });

  it('drops the echo of ^C when the first command of a session is interrupted', async () => {
    const { sm: fresh, seen: freshSeen } = managerFor(f.cluster);
    try {
      const ac = new AbortController();
      const rs = await fresh.run(f.nodes.slice(0, 1), 'echo started; sleep 30', {
        signal: ac.signal,
        onLine: (_n, l) => { if (l === 'started') ac.abort(); },
      });
      expect([rs[0]!.status, rs[0]!.output]).to.deep.equal(['interrupted', ['started']]);
      const after = await fresh.run(f.nodes.slice(0, 1), 'echo alive');
      expect(after[0]!.output).to.deep.equal(['alive']);
      expect(freshSeen.background).to.deep.equal([]);
    } finally {
      await fresh.closeAll();
    }
  });

  it('still shows output of a first command whose own output looks like a command line', async () => {
    const { sm: fresh } = managerFor(f.cluster);
    try {
      const rs = await fresh.run(f.nodes.slice(0, 1), "echo \"eval 'x'\"");
      expect(rs[0]!.output).to.deep.equal(["eval 'x'"]);
    } finally {
      await fresh.closeAll();
    }
  });
});

describe('sessions: a server that honours the PTY echo mode', function () {
  this.timeout(60_000);
  const f = useSessionCluster({ count: 1, plainSessions: true });

  it('has echo off from the start, without a stty in the bootstrap', async () => {
    const mode = await f.sm.run(f.nodes, "stty -a | tr ' ;' '\\n\\n' | grep -x -e -echo -e echo");
    expect(mode[0]!.output).to.deep.equal(['-echo']);
    const where = await f.sm.run(f.nodes, 'echo "$HOME"; pwd');
    expect(where[0]!.output[0], 'HOME is the node home even without the wrapper').to.equal(f.cluster.nodes[0]!.homeDir);
  });
});
