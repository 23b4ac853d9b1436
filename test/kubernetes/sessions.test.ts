/**
 * dust's own session engine (src/sessions: bootstrap, markers, persistent state, interrupts, reconnects) over the
 * Kubernetes transport, against the emulator: what `@pod* cmd` will do once the main shell wires it.
 */
import { expect } from 'chai';
import type { DustNode } from '../../src/inventory/node.js';
import type { KubernetesIntegration } from '../../src/kubernetes/integration.js';
import { SessionManager } from '../../src/sessions/index.js';
import { asNode, eventually, kubeFixture, type KubeFixture } from './helpers.js';

describe('kubernetes transport under the session engine', function () {
  let f: KubeFixture;
  let k: KubernetesIntegration;
  let sm: SessionManager;
  let nodes: DustNode[];
  const events: { type: string; node: string; reason?: string }[] = [];

  beforeEach(async () => {
    f = await kubeFixture();
    f.emulator.core.seedPods([{ name: 'web-0' }, { name: 'web-1' }, { name: 'static', image: 'gcr.io/distroless/static' }]);
    k = await f.integration();
    nodes = (await k.provider.list()).map((d, i) => asNode(d, i + 1));
    events.length = 0;
    sm = new SessionManager({
      transports: [k.transport],
      shellStartTimeoutMs: 15000,
      onEvent: (e) => events.push({ type: e.type, node: e.node.name, ...(e.reason ? { reason: e.reason } : {}) }),
    });
  });
  afterEach(async () => {
    await sm.closeAll();
    await f.close();
  });

  const node = (name: string): DustNode => {
    const n = nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  };

  it('runs a line on several pods with persistent state and exit codes', async () => {
    const web = [node('web-0'), node('web-1')];
    await sm.run(web, 'cd /tmp && export GREETING=hello');
    const results = await sm.run(web, 'echo "$GREETING from $(hostname) in $(pwd)"; test $(hostname) = web-0');
    expect(results.map((r) => [r.node.name, r.status, r.exitCode, r.output])).to.deep.equal([
      ['web-0', 'ok', 0, ['hello from web-0 in /tmp']],
      ['web-1', 'failed', 1, ['hello from web-1 in /tmp']],
    ]);
  });

  it('interrupts a running command with ^C through the terminal', async () => {
    const controller = new AbortController();
    const running = sm.run([node('web-0')], 'echo started; sleep 30', { signal: controller.signal, onLine: (_n, line) => {
      if (line === 'started') controller.abort();
    } });
    const [r] = await running;
    expect(r?.status).to.equal('interrupted');
    const [after] = await sm.run([node('web-0')], 'echo still here');
    expect(after?.output).to.deep.equal(['still here']);
  });

  it('reports a pod without /bin/sh as unreachable with the one-line reason, the others run', async () => {
    const results = await sm.run([node('web-0'), node('static')], 'true');
    expect(results[0]?.status).to.equal('ok');
    expect(results[1]?.status).to.equal('unreachable');
    expect(results[1]?.error?.code).to.equal('DUST_KUBE_NO_SHELL');
    expect(results[1]?.error?.message).to.include('container main has no /bin/sh');
  });

  it('reconnects after the kubelet dropped the stream, restoring the working directory', async () => {
    await sm.run([node('web-0')], 'cd /tmp');
    f.emulator.core.dropExecStreams('default', 'web-0');
    await eventually(() => events.some((e) => e.type === 'lost'), 'the loss to be noticed');
    expect(events.find((e) => e.type === 'lost')?.reason).to.match(/closed the exec stream/);
    const [r] = await sm.run([node('web-0')], 'pwd');
    expect(r?.output).to.deep.equal(['/tmp']);
    expect(r?.notice).to.match(/^reconnected after the API server closed the exec stream.*restored cwd \/tmp/);
  });

  it('names a deleted pod, and does not reach it again', async () => {
    await sm.run([node('web-0')], 'true');
    f.emulator.core.deletePod('default', 'web-0');
    await eventually(() => events.some((e) => e.type === 'lost'), 'the loss to be noticed');
    expect(events.find((e) => e.type === 'lost')?.reason).to.equal('pod default/web-0 was deleted');
    const [r] = await sm.run([node('web-0')], 'true');
    expect(r?.status).to.equal('unreachable');
    expect(r?.error?.code).to.equal('DUST_KUBE_POD_GONE');
  });
});
