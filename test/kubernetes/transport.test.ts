import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import type { DustNode } from '../../src/inventory/node.js';
import type { KubernetesIntegration } from '../../src/kubernetes/integration.js';
import type { ChannelEnd, ExecProcess, ShellChannel } from '../../src/sessions/transport.js';
import { asNode, eventually, kubeFixture, type KubeFixture, rejection } from './helpers.js';

async function nodeNamed(k: KubernetesIntegration, name: string): Promise<DustNode> {
  const draft = (await k.provider.list()).find((d) => d.name === name);
  if (!draft) throw new Error(`no node ${name}`);
  return asNode(draft);
}

/** A shell channel with its output collected and its end awaited. */
function watchChannel(ch: ShellChannel): { output: () => string; closed: Promise<ChannelEnd> } {
  let out = '';
  ch.onData((d) => (out += d.toString()));
  const closed = new Promise<ChannelEnd>((resolve) => ch.onClose(resolve));
  return { output: () => out, closed };
}

async function collect(p: ExecProcess): Promise<{ stdout: string; stderr: string; exit: Awaited<ExecProcess['exit']> }> {
  let stdout = '';
  let stderr = '';
  p.onStdout((d) => (stdout += d.toString()));
  p.onStderr((d) => (stderr += d.toString()));
  const exit = await p.exit;
  return { stdout, stderr, exit };
}

const SHELL = { command: 'exec /bin/sh', size: { rows: 24, cols: 80 }, term: 'xterm-256color', echo: true };

describe('kubernetes transport: shells', function () {
  let f: KubeFixture;
  let k: KubernetesIntegration;

  beforeEach(async () => {
    f = await kubeFixture();
    f.emulator.core.seedPods([{ name: 'web-0' }, { name: 'stuck', fault: 'image-pull' }, { name: 'static', image: 'gcr.io/distroless/static:nonroot' }]);
    k = await f.integration();
  });
  afterEach(async () => {
    await f.close();
  });

  it('claims the pods of its own context only', async () => {
    const node = await nodeNamed(k, 'web-0');
    expect(k.transport.claims(node)).to.equal(true);
    expect(k.transport.claims({ ...node, props: { ...node.props, context: 'other' } })).to.equal(false);
    expect(k.transport.claims({ ...node, source: 'ec2' })).to.equal(false);
  });

  it('opens a persistent TTY shell: state persists, TERM and size are the request\'s, the exit status comes back', async () => {
    const ch = await k.transport.openShell(await nodeNamed(k, 'web-0'), { ...SHELL, size: { rows: 33, cols: 111 } });
    const w = watchChannel(ch);
    ch.write('cd /tmp && export X=kept\n');
    ch.write('echo "at $(pwd) $X $TERM $(stty size) on $(hostname)"; exit 5\n');
    expect(await w.closed).to.deep.equal({ kind: 'exited', exitCode: 5 });
    expect(w.output()).to.include('at /tmp kept xterm-256color 33 111 on web-0');
  });

  it('starts with echo off when asked, and resizes in order with what is typed', async () => {
    const ch = await k.transport.openShell(await nodeNamed(k, 'web-0'), { ...SHELL, echo: false });
    const w = watchChannel(ch);
    ch.resize({ rows: 50, cols: 200 });
    ch.write('echo "size $(stty size) sum $((40+2))"; exit 0\n');
    expect(await w.closed).to.deep.equal({ kind: 'exited', exitCode: 0 });
    expect(w.output()).to.include('size 50 200 sum 42');
    expect(w.output()).to.not.include('$((40+2))');
  });

  it('reports a stream the kubelet dropped as lost, saying so', async () => {
    const ch = await k.transport.openShell(await nodeNamed(k, 'web-0'), SHELL);
    const w = watchChannel(ch);
    await eventually(() => f.emulator.core.execStreams('default', 'web-0').length === 1, 'the stream on the server');
    f.emulator.core.dropExecStreams('default', 'web-0');
    const end = await w.closed;
    expect(end.kind).to.equal('lost');
    expect(end.reason).to.match(/closed the exec stream/);
  });

  it('reports a dropped connection as lost', async () => {
    const ch = await k.transport.openShell(await nodeNamed(k, 'web-0'), SHELL);
    const w = watchChannel(ch);
    await eventually(() => f.emulator.core.execStreams('default', 'web-0').length === 1, 'the stream on the server');
    f.emulator.core.dropExecStreams('default', 'web-0', { abrupt: true });
    const end = await w.closed;
    expect(end).to.deep.equal({ kind: 'lost', reason: 'connection to the API server lost' });
  });

  it('drops a stream that stops answering keepalive pings (a network partition) as lost', async () => {
    const watchful = await f.integration({ keepaliveMs: 150 });
    const w = watchChannel(await watchful.transport.openShell(await nodeNamed(watchful, 'web-0'), SHELL));
    await eventually(() => f.emulator.core.execStreams('default', 'web-0').length === 1, 'the stream on the server');
    f.emulator.core.dropExecStreams('default', 'web-0', { freeze: true });
    const end = await w.closed;
    expect(end).to.deep.equal({ kind: 'lost', reason: 'connection to the API server lost: no answer to a keepalive ping within 150 ms' });
  });

  it('names the pod when it was deleted under an open shell, and refuses new shells to it (not retried)', async () => {
    const node = await nodeNamed(k, 'web-0');
    const ch = await k.transport.openShell(node, SHELL);
    const w = watchChannel(ch);
    f.emulator.core.deletePod('default', 'web-0');
    expect(await w.closed).to.deep.equal({ kind: 'lost', reason: 'pod default/web-0 was deleted' });
    const err = await rejection(k.transport.openShell(node, SHELL));
    expect(err.code).to.equal('DUST_KUBE_POD_GONE');
    expect(err.message).to.equal('pod default/web-0 no longer exists');
    const execs = f.emulator.core.requestLog.filter((e) => e.verb === 'exec' && e.path.includes('/web-0/'));
    expect(execs.map((e) => e.status)).to.deep.equal([101, 404]);
  });

  it('says when the container crashed under an open shell', async () => {
    const ch = await k.transport.openShell(await nodeNamed(k, 'web-0'), SHELL);
    const w = watchChannel(ch);
    f.emulator.core.crashPod('default', 'web-0');
    expect(await w.closed).to.deep.equal({ kind: 'lost', reason: 'pod default/web-0 stopped running (Error)' });
  });

  it('refuses a pod without /bin/sh with one line naming pod, container and image', async () => {
    const err = await rejection(k.transport.openShell(await nodeNamed(k, 'static'), SHELL));
    expect(err.code).to.equal('DUST_KUBE_NO_SHELL');
    expect(err.message).to.equal('pod default/static: container main has no /bin/sh (image gcr.io/distroless/static:nonroot)');
    expect(err.hint).to.include('kubectl debug');
  });

  it('refuses a pod that is not running, with its status', async () => {
    const err = await rejection(k.transport.openShell(await nodeNamed(k, 'stuck'), SHELL));
    expect(err.code).to.equal('DUST_KUBE_POD_NOT_RUNNING');
    expect(err.message).to.equal('pod default/stuck is not running (ImagePullBackOff)');
  });

  it('gives up on a command that never starts (a wedged container runtime) and closes its stream', async () => {
    const impatient = await f.integration({ startTimeoutMs: 300 });
    f.emulator.core.stallExec('default', 'web-0');
    const err = await rejection(impatient.transport.openShell(await nodeNamed(impatient, 'web-0'), SHELL));
    expect(err.code).to.equal('DUST_KUBE_EXEC');
    expect(err.message).to.equal('pod default/web-0: the shell did not start within 300 ms of the exec stream opening');
    await eventually(() => f.emulator.core.execStreams('default', 'web-0').length === 0, 'the stalled stream to be closed');
    f.emulator.core.stallExec('default', 'web-0', false);
    const w = watchChannel(await impatient.transport.openShell(await nodeNamed(impatient, 'web-0'), SHELL));
    await impatient.transport.disconnect(await nodeNamed(impatient, 'web-0'));
    await w.closed;
  });

  it('without node-pty (optional) the emulator refuses terminals in one line; commands without one still run', async () => {
    f.emulator.core.noTerminals = 'node-pty (optional) could not be loaded: Cannot find package \'node-pty\'';
    const err = await rejection(k.transport.openShell(await nodeNamed(k, 'web-0'), SHELL));
    expect(err.code).to.equal('DUST_KUBE_EXEC');
    expect(err.message).to.include('the dust emulator cannot open terminals on this machine: node-pty (optional) could not be loaded');
    const r = await collect(await k.transport.exec!(await nodeNamed(k, 'web-0'), { command: 'echo fine' }));
    expect(r.stdout).to.equal('fine\n');
  });

  it('retries an exec the API server throttled (429), then opens it', async () => {
    const patient = await f.integration({ throttleBackoffMs: [10, 10, 10] });
    f.emulator.core.faults.add({ verb: 'exec', code: 429, times: 2 });
    const w = watchChannel(await patient.transport.openShell(await nodeNamed(patient, 'web-0'), SHELL));
    const execs = f.emulator.core.requestLog.filter((e) => e.verb === 'exec').map((e) => e.status);
    expect(execs).to.deep.equal([429, 429, 101]);
    f.emulator.core.faults.add({ verb: 'exec', code: 429, times: 5 });
    const err = await rejection(patient.transport.openShell(await nodeNamed(patient, 'web-0'), SHELL));
    expect(err.code).to.equal('DUST_KUBE_EXEC');
    expect(err.hint).to.include('429');
    await patient.transport.disconnect(await nodeNamed(patient, 'web-0'));
    await w.closed;
  });

  it('disconnect closes a node\'s open shells; close ends everything', async () => {
    const node = await nodeNamed(k, 'web-0');
    const a = watchChannel(await k.transport.openShell(node, SHELL));
    const b = watchChannel(await k.transport.openShell(node, SHELL));
    await k.transport.disconnect(node);
    expect((await a.closed).kind).to.equal('exited');
    expect((await b.closed).kind).to.equal('exited');
    await eventually(() => f.emulator.core.execStreams('default', 'web-0').length === 0, 'the streams to end on the server');
  });
});

describe('kubernetes transport: exec without a terminal', function () {
  let f: KubeFixture;
  let k: KubernetesIntegration;
  let node: DustNode;

  beforeEach(async () => {
    f = await kubeFixture();
    f.emulator.core.seedPods([{ name: 'web-0' }]);
    k = await f.integration();
    node = await nodeNamed(k, 'web-0');
  });
  afterEach(async () => {
    await f.close();
  });

  it('keeps stdout and stderr apart and returns the exit code', async () => {
    const r = await collect(await k.transport.exec!(node, { command: 'echo out; echo err >&2; exit 4' }));
    expect(r).to.deep.equal({ stdout: 'out\n', stderr: 'err\n', exit: { exitCode: 4 } });
  });

  it('closes stdin at once when none is given', async () => {
    const r = await collect(await k.transport.exec!(node, { command: 'cat; echo after' }));
    expect(r.stdout).to.equal('after\n');
    expect(r.exit.exitCode).to.equal(0);
  });

  it('streams stdin from a Readable (3 MB, intact) and closes it with the v5 close frame', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    const chunks = Array.from({ length: 48 }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536));
    const r = await collect(await k.transport.exec!(node, { command: 'sha256sum | cut -c1-64', stdin: Readable.from(chunks) }));
    expect(r.stdout.trim()).to.equal(createHash('sha256').update(data).digest('hex'));
    expect(r.exit.exitCode).to.equal(0);
  });

  it('interrupts by closing the stream (the command is hung up)', async () => {
    const p = await k.transport.exec!(node, { command: 'echo started; sleep 30' });
    const out: string[] = [];
    p.onStdout((d) => out.push(d.toString()));
    await eventually(() => out.join('').includes('started'), 'the command to start');
    p.interrupt();
    expect(await p.exit).to.deep.equal({ exitCode: null, reason: 'interrupted: the exec stream was closed' });
  });

  it('honours an AbortSignal', async () => {
    const controller = new AbortController();
    const p = await k.transport.exec!(node, { command: 'sleep 30', signal: controller.signal });
    controller.abort();
    expect((await p.exit).reason).to.match(/^interrupted/);
  });
});

describe('kubernetes transport: a v4-only server', function () {
  let f: KubeFixture;
  let k: KubernetesIntegration;
  let node: DustNode;

  beforeEach(async () => {
    f = await kubeFixture({ execProtocols: ['v4.channel.k8s.io'] });
    f.emulator.core.seedPods([{ name: 'old-0' }]);
    k = await f.integration();
    node = await nodeNamed(k, 'old-0');
  });
  afterEach(async () => {
    await f.close();
  });

  it('falls back to v4 for shells and commands', async () => {
    const ch = await k.transport.openShell(node, SHELL);
    const w = watchChannel(ch);
    await eventually(() => f.emulator.core.execStreams('default', 'old-0').length === 1, 'the stream on the server');
    expect(f.emulator.core.execStreams('default', 'old-0')[0]?.plan.protocol).to.equal('v4.channel.k8s.io');
    ch.write('exit 6\n');
    expect(await w.closed).to.deep.equal({ kind: 'exited', exitCode: 6 });
    const r = await collect(await k.transport.exec!(node, { command: 'echo four; exit 2' }));
    expect(r).to.deep.equal({ stdout: 'four\n', stderr: '', exit: { exitCode: 2 } });
  });

  it('says that stdin can only end with the whole stream on v4 (exit status unknown)', async () => {
    const r = await collect(await k.transport.exec!(node, { command: 'cat >/dev/null; exit 0', stdin: 'data' }));
    expect(r.exit.exitCode).to.equal(null);
    expect(r.exit.reason).to.match(/v4\.channel\.k8s\.io, which cannot close stdin/);
  });

  it('reads files on v4 but refuses to write them (no way to end stdin)', async () => {
    const files = await k.transport.files(node);
    expect((await files.stat('README'))?.type).to.equal('file');
    const { stream, done } = files.write('x.txt');
    stream.on('error', () => {});
    stream.end('data');
    const err = await rejection(done);
    expect(err.code).to.equal('DUST_KUBE_FILE');
    expect(err.hint).to.match(/1\.29/);
  });
});

describe('kubernetes transport: start limiter', () => {
  it('runs at most maxConcurrent starts at once, in order', async () => {
    const { StartLimiter } = await import('../../src/kubernetes/limiter.js');
    const limiter = new StartLimiter(2);
    let now = 0;
    let peak = 0;
    const order: number[] = [];
    const gates = Array.from({ length: 5 }, () => {
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      return { gate, open };
    });
    const runs = gates.map((g, i) => limiter.run(async () => {
      now++;
      peak = Math.max(peak, now);
      order.push(i);
      await g.gate;
      now--;
    }));
    for (const g of gates) {
      await new Promise((r) => setImmediate(r));
      g.open();
    }
    await Promise.all(runs);
    expect(peak).to.equal(2);
    expect(order).to.deep.equal([0, 1, 2, 3, 4]);
    expect(limiter.inFlight).to.equal(0);
  });
});
