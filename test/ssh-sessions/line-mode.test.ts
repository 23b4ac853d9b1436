import { expect } from 'chai';
import { requireSshd, startSshdCluster, type SshdCluster } from '../harness/sshd-cluster.js';
import type { DustNode } from '../../src/inventory/node.js';
import type { SessionManager } from '../../src/sessions/index.js';
import { clusterNodes, eventually, managerFor, type Collected } from './helpers.js';

describe('sessions: line mode on real sshd', function () {
  this.timeout(120_000);
  let cluster: SshdCluster;
  let sm: SessionManager;
  let seen: Collected;
  let nodes: DustNode[];

  before(async function () {
    requireSshd(this);
    cluster = await startSshdCluster({ count: 3 });
    ({ sm, seen } = managerFor(cluster));
    nodes = clusterNodes(cluster);
  });
  after(async () => {
    await sm?.closeAll();
    await cluster?.down();
  });

  const outputs = (rs: { output: string[] }[]): string[][] => rs.map((r) => r.output);

  it('keeps cd, exports and shell functions between commands', async () => {
    await sm.run(nodes, 'cd /tmp');
    expect(outputs(await sm.run(nodes, 'pwd'))).to.deep.equal([['/tmp'], ['/tmp'], ['/tmp']]);
    await sm.run(nodes, 'export DUST_T=hello; greet() { echo "hi $1"; }');
    const rs = await sm.run(nodes, 'echo "$DUST_T"; greet there');
    for (const r of rs) expect(r.output).to.deep.equal(['hello', 'hi there']);
    expect(sm.cwdOf(nodes[0]!)).to.equal('/tmp');
  });

  it('runs a command that starts with a dash as a command, not as an option of eval', async () => {
    const [r] = await sm.run(nodes.slice(0, 1), '-dust-no-such-cmd; echo "rc=$?"');
    expect(r!.output.at(-1)).to.equal('rc=127');
  });

  it('reports exit status per node, and syntax errors do not hang the shell', async () => {
    const rs = await sm.run(nodes, 'case "$(hostname)-$((RANDOM % 1))" in *) exit_code=$(( 3 )); esac; [ -n "$exit_code" ] && (exit 3)');
    expect(rs.map((r) => [r.status, r.exitCode])).to.deep.equal([['failed', 3], ['failed', 3], ['failed', 3]]);
    const ok = await sm.run(nodes, 'true');
    expect(ok.every((r) => r.status === 'ok' && r.exitCode === 0)).to.equal(true);
    const bad = await sm.run(nodes.slice(0, 1), 'if then fi (');
    expect(bad[0]!.status).to.equal('failed');
    expect(bad[0]!.exitCode).to.not.equal(0);
    expect((await sm.run(nodes.slice(0, 1), "echo 'it''s' \"q\\\"\" $((1+1))"))[0]!.output).to.deep.equal(['its q" 2']);
  });

  it('streams lines per node as they come, UTF-8 intact, without the marker or its newline', async () => {
    const lines: string[] = [];
    const rs = await sm.run(nodes, "printf 'a\\n\\nb é€ 😀\\n'; printf 'no newline'", {
      onLine: (n, l) => lines.push(`${n.name}:${l}`),
    });
    for (const r of rs) expect(r.output).to.deep.equal(['a', '', 'b é€ 😀', 'no newline']);
    expect(lines.filter((l) => l.startsWith(`${nodes[1]!.name}:`))).to.have.length(4);
    expect(lines.join('\n')).to.not.include('__DUST');
  });

  it('returns waiting for a prompt, and a second run answers it', async () => {
    const first = await sm.run(nodes.slice(0, 2), "read -p 'Continue? [Y/n] ' ans; echo \"got $ans\"");
    expect(first.map((r) => r.status)).to.deep.equal(['waiting', 'waiting']);
    expect(first[0]!.output).to.deep.equal(['Continue? [Y/n] ']);
    expect(sm.stateOf(nodes[0]!)).to.equal('waiting');
    const second = await sm.run(nodes.slice(0, 2), 'Y');
    expect(second.map((r) => [r.status, r.output])).to.deep.equal([['ok', ['got Y']], ['ok', ['got Y']]]);
    // The shell is back to normal afterwards.
    expect((await sm.run(nodes.slice(0, 1), 'echo next'))[0]!.output).to.deep.equal(['next']);
  });

  it('waits for a slow silent command to finish (no false waiting)', async () => {
    const rs = await sm.run(nodes.slice(0, 1), 'sleep 2; echo done', { quietMs: 200 });
    expect(rs[0]!.status).to.equal('ok');
    expect(rs[0]!.output).to.deep.equal(['done']);
  });

  it('delivers background output through onBackgroundLine', async () => {
    seen.background.length = 0;
    const rs = await sm.run(nodes, 'sleep 1 && echo bg-done &');
    expect(rs.every((r) => r.status === 'ok')).to.equal(true);
    await eventually(() => seen.background.filter((b) => b.line === 'bg-done').length === nodes.length, 'background lines');
    expect(new Set(seen.background.filter((b) => b.line === 'bg-done').map((b) => b.node))).to.have.length(nodes.length);
  });

  it('interrupts a long command on abort, keeps output so far, and the session still works', async () => {
    const ac = new AbortController();
    let started = 0;
    const p = sm.run(nodes, 'echo started; sleep 30; echo never', {
      signal: ac.signal,
      onLine: (_n, l) => { if (l === 'started' && ++started === nodes.length) ac.abort(); },
    });
    const rs = await p;
    for (const r of rs) {
      expect(r.status).to.equal('interrupted');
      expect(r.output).to.deep.equal(['started']);
    }
    const after = await sm.run(nodes, 'echo alive; pwd');
    for (const r of after) expect(r.output).to.deep.equal(['alive', '/tmp']);
    expect(sm.connected()).to.have.length(nodes.length);
  });

  it('repeats ^C when the first SIGINT is swallowed, so an interrupt still ends the command', async () => {
    const ac = new AbortController();
    // The subshell's trap eats the first SIGINT and re-arms the default, standing in for a SIGINT lost between
    // fork and exec. (In a subshell: `trap - INT` in the session's own shell would let the next ^C kill it.)
    const p = sm.run(nodes.slice(0, 1), "echo started; ( trap 'trap - INT' INT; echo armed; while :; do sleep 0.1; done ); echo never", {
      signal: ac.signal,
      onLine: (_n, l) => { if (l === 'armed') ac.abort(); },
    });
    const [r] = await p;
    expect(r!.status, r!.error?.message).to.equal('interrupted');
    // The marker came back: the loop ended instead of leaving the node waiting. (Whether `echo never` runs is
    // bash's call: a subshell that survived a SIGINT can exit in a way that lets the list go on, as in a terminal.)
    expect(r!.exitCode, 'exit status from the marker').to.not.equal(null);
    expect(r!.output.slice(0, 2)).to.deep.equal(['started', 'armed']);
    expect(sm.stateOf(nodes[0]!)).to.equal('idle');
    const after = await sm.run(nodes.slice(0, 1), 'echo alive');
    expect(after[0]!.output).to.deep.equal(['alive']);
  });

  it('sends a program that reacts to ^C no second one (it may be shutting down gracefully)', async () => {
    seen.background.length = 0;
    const ac = new AbortController();
    const script = "( n=0; trap 'n=$((n+1)); echo caught $n' INT; echo armed; for i in $(seq 30); do sleep 0.1; done ); echo finished";
    const [r] = await sm.run(nodes.slice(0, 1), script, {
      signal: ac.signal,
      onLine: (_n, l) => { if (l === 'armed') ac.abort(); },
    });
    expect(r!.status).to.equal('interrupted');
    const all = (): string[] => [...r!.output, ...seen.background.map((b) => b.line)];
    await eventually(() => all().includes('finished'), 'the program to finish on its own', 20_000);
    await eventually(() => sm.stateOf(nodes[0]!) === 'idle', 'node idle again');
    expect(all().filter((l) => l.startsWith('caught'))).to.deep.equal(['caught 1']);
  });

  it('says when an interrupted program ignored ^C and still runs, and reports its end in the background', async () => {
    seen.background.length = 0;
    const ac = new AbortController();
    const [r] = await sm.run(nodes.slice(0, 1), "( trap '' INT; echo armed; sleep 3 ); echo done-after-ignoring", {
      signal: ac.signal,
      onLine: (_n, l) => { if (l === 'armed') ac.abort(); },
    });
    expect([r!.status, r!.exitCode, r!.stillRunning, r!.error?.code]).to.deep.equal(['interrupted', null, true, 'DUST_STILL_RUNNING']);
    expect(sm.stateOf(nodes[0]!)).to.equal('waiting');
    await eventually(() => seen.background.some((b) => b.line === 'done-after-ignoring'), 'the program to end on its own', 20_000);
    await eventually(() => sm.stateOf(nodes[0]!) === 'idle', 'node idle again');
  });

  it('reports completion of a command that outlived its run in the background, not as the next result', async () => {
    seen.background.length = 0;
    const first = await sm.run(nodes.slice(0, 1), "printf 'Password: '; sleep 2; echo late");
    expect(first[0]!.status).to.equal('waiting');
    await eventually(() => seen.background.some((b) => b.line === 'late'), 'late output');
    await eventually(() => sm.stateOf(nodes[0]!) === 'idle', 'node idle again');
    const next = await sm.run(nodes.slice(0, 1), 'echo fresh');
    expect(next[0]!.status).to.equal('ok');
    expect(next[0]!.output).to.deep.equal(['fresh']);
  });
});

describe('sessions: 20 nodes in parallel', function () {
  this.timeout(180_000);
  let cluster: SshdCluster;
  let sm: SessionManager;

  before(async function () {
    requireSshd(this);
    cluster = await startSshdCluster({ count: 20 });
    ({ sm } = managerFor(cluster, { connectTimeoutMs: 60_000 }));
  });
  after(async () => {
    await sm?.closeAll();
    await cluster?.down();
  });

  it('runs on every node with per-node output and status', async () => {
    const nodes = clusterNodes(cluster);
    const rs = await sm.run(nodes, 'basename "$(dirname "$HOME")"');
    expect(rs).to.have.length(20);
    rs.forEach((r, i) => {
      expect(r.status, r.node.name).to.equal('ok');
      expect(r.output).to.deep.equal([nodes[i]!.name]);
    });
    expect(sm.connected()).to.have.length(20);
    const again = await sm.run(nodes, 'true');
    expect(again.every((r) => r.status === 'ok')).to.equal(true);
  });
});
