/**
 * The demo end to end: emulator-backed EC2 inventory whose instances are embedded SSH nodes; `@* hostname`
 * through dust's real session layer; stop makes a node refuse connections, start brings it back.
 */
import net from 'node:net';
import { expect } from 'chai';
import { ConfigSchema } from '../../src/config/schema.js';
import type { DustApp } from '../../src/shell/app.js';
import { composeDust } from '../../src/compose.js';
import { TerminalOutput } from '../../src/output/terminal-output.js';
import { NoTerminalPrompter } from '../../src/shell/prompter.js';
import { startDemo, type DemoSession } from '../../src/ec2/demo.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { Capture } from './helpers.js';
import { eventually } from '../helpers/eventually.js';

function tcpRefused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => { s.destroy(); resolve(false); });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

describe('ec2: the demo (emulator + embedded SSH nodes)', function () {
  this.timeout(120000);
  let tmp: ReturnType<typeof makeTempHome>;
  let demo: DemoSession;
  let app: DustApp;
  const out = new Capture();

  before(async () => {
    tmp = makeTempHome();
    demo = await startDemo({ dustHome: tmp.home, basePort: 12300 + Math.floor(Math.random() * 60) * 10, delays: { pending: 0, stopping: 0, shuttingDown: 0 } });
    const config = ConfigSchema.parse({});
    app = await composeDust({
      version: '0.1.0-test', dustHome: tmp.home, loaded: { config, file: undefined },
      out: new TerminalOutput(out, out, { color: false }), prompt: new NoTerminalPrompter(), interactive: false,
      terminal: { withTerminal: () => Promise.reject(new Error('no terminal')) },
      extraKnownHosts: [demo.knownHostsFile],
      ec2: { integration: demo.ec2, leadingRules: demo.loginRules },
    });
  });

  after(async () => {
    await app?.shutdown();
    await demo?.close();
    tmp?.cleanup();
  });

  it('shows both clusters with demo-labelled instances on loopback addresses', async () => {
    expect(demo.banner).to.match(/^DEMO/).and.match(/dust:demo=true/);
    const nodes = await app.state.nodes();
    expect(nodes.map((n) => `${n.cluster}/${n.name}`)).to.deep.equal([
      'slurm1/master', 'slurm1/worker0', 'slurm1/worker1', 'slurm1/worker2', 'webtest/web1', 'webtest/web2',
    ]);
    for (const n of nodes) {
      const ssh = demo.cluster.nodes.find((d) => d.name === n.name)!;
      expect(n).to.include({ source: 'ec2', state: 'running', host: ssh.host, port: ssh.port, user: demo.cluster.user });
      expect(n.tags['dust:demo']).to.equal('true');
      expect(String(n.props['launch_time'])).to.match(/^\d{4}-\d\d-\d\dT/);
    }
    expect(await app.runner.runLine('show')).to.equal(true);
    expect(out.take()).to.match(/cluster slurm1[\s\S]*cluster webtest/);
  });

  it('@* hostname answers from every node through dust sessions', async () => {
    expect(await app.runner.runLine('@* hostname')).to.equal(true);
    const text = out.take();
    for (const name of ['master', 'worker0', 'worker1', 'worker2', 'web1', 'web2']) expect(text).to.match(new RegExp(`\\[${name}\\]\\s+${name}`));
  });

  it('stop takes the node down (connection refused); start brings it back', async () => {
    const ssh = demo.cluster.nodes.find((d) => d.name === 'worker2')!;
    expect(await app.runner.runLine('stop -y --wait worker2')).to.equal(true);
    await eventually(() => !ssh.running, 'worker2 node to stop');
    expect(await tcpRefused(ssh.host, ssh.port)).to.equal(true);
    out.take();
    expect(await app.runner.runLine('@worker2 hostname')).to.equal(false);
    expect(out.take()).to.match(/not running|no targeted node is running/);

    expect(await app.runner.runLine('start -y --wait worker2')).to.equal(true);
    await eventually(() => ssh.running, 'worker2 node to start');
    expect(await tcpRefused(ssh.host, ssh.port)).to.equal(false);
    expect(await app.runner.runLine('@worker2 hostname')).to.equal(true);
    expect(out.take()).to.match(/\[worker2\]\s+worker2/);
  });
});
