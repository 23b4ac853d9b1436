import https from 'node:https';
import { PassThrough, Readable } from 'node:stream';
import { expect } from 'chai';
import { Exec, KubeConfig, type V1Status } from '@kubernetes/client-node';
import WebSocket from 'ws';
import { eventually, kubeFixture, type KubeFixture } from './helpers.js';

/** A stdout client-node treats as a terminal (it sends resize messages for streams with rows and columns). */
class FakeTerminal extends PassThrough {
  rows = 24;
  columns = 80;
  setSize(rows: number, columns: number): void {
    this.rows = rows;
    this.columns = columns;
    this.emit('resize');
  }
}

interface ExecResult {
  stdout: string;
  stderr: string;
  status: V1Status | undefined;
  protocol: string;
}

/** Runs a command with client-node's Exec and waits for the socket to close (Exec itself resolves on open). */
async function runExec(f: KubeFixture, pod: string, command: string[], opts: { tty?: boolean; stdin?: Readable | null; stdout?: PassThrough; during?: (ws: WebSocket, out: () => string) => Promise<void> } = {}): Promise<ExecResult> {
  const kc = new KubeConfig();
  kc.loadFromFile(f.kubeconfig);
  const stdout = opts.stdout ?? new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  let status: V1Status | undefined;
  const ws = (await new Exec(kc).exec('default', pod, 'main', command, stdout, opts.tty ? null : stderr, opts.stdin ?? null, opts.tty ?? false, (s) => {
    status = s;
  })) as unknown as WebSocket;
  const closed = new Promise<void>((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve();
    ws.on('close', () => resolve());
  });
  await opts.during?.(ws, () => out);
  await closed;
  return { stdout: out, stderr: err, status, protocol: ws.protocol };
}

describe('kubernetes emulator: exec over WebSocket with client-node', function () {
  let f: KubeFixture;

  beforeEach(async () => {
    f = await kubeFixture();
    f.emulator.core.seedPods([{ name: 'web-0' }]);
  });
  afterEach(async () => {
    await f.close();
  });

  it('runs the command in the pod sandbox: stdout and stderr apart, exit 0 as Success, on v5', async () => {
    const r = await runExec(f, 'web-0', ['sh', '-c', 'echo out; echo err >&2; hostname; pwd']);
    expect(r.protocol).to.equal('v5.channel.k8s.io');
    expect(r.status?.status).to.equal('Success');
    const [first, host, cwd] = r.stdout.trim().split('\n');
    expect(first).to.equal('out');
    expect(host).to.equal('web-0');
    expect(cwd).to.equal(f.emulator.core.sandboxOf('default', 'web-0')?.home);
    expect(r.stderr).to.equal('err\n');
  });

  it('reports a non-zero exit as NonZeroExitCode with the code in details.causes', async () => {
    const r = await runExec(f, 'web-0', ['sh', '-c', 'exit 42']);
    expect(r.status).to.deep.include({ status: 'Failure', reason: 'NonZeroExitCode' });
    expect(r.status?.details?.causes).to.deep.equal([{ reason: 'ExitCode', message: '42' }]);
  });

  it('feeds stdin and closes it with the v5 close frame (cat sees EOF)', async () => {
    const r = await runExec(f, 'web-0', ['sh', '-c', 'cat; echo done'], { stdin: Readable.from([Buffer.from('line 1\n'), Buffer.from('line 2\n')]) });
    expect(r.stdout).to.equal('line 1\nline 2\ndone\n');
    expect(r.status?.status).to.equal('Success');
  });

  it('with a TTY merges stderr, starts at the client size and follows resizes ({height,width} from client-node)', async () => {
    const terminal = new FakeTerminal();
    terminal.rows = 31;
    terminal.columns = 101;
    const stdin = new PassThrough();
    const r = await runExec(f, 'web-0', ['sh', '-c', 'stty size; echo to-stderr >&2; read x; stty size'], {
      tty: true,
      stdin,
      stdout: terminal,
      during: async (_ws, out) => {
        await eventually(() => out().includes('to-stderr'), 'the first size');
        terminal.setSize(40, 132);
        // The resize and this line travel in order on one socket.
        stdin.write('go\r');
      },
    });
    expect(r.stdout).to.match(/31 101\r\nto-stderr\r\n[\s\S]*40 132\r\n$/);
    expect(r.status?.status).to.equal('Success');
  });

  it('accepts kubectl\'s {Width,Height} resize spelling', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(f.kubeconfig);
    const opts: WebSocket.ClientOptions = {};
    await kc.applyToHTTPSOptions(opts);
    const url = `${f.emulator.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/web-0/exec?command=sh&command=-c&command=read%20x%3B%20stty%20size&stdin=true&stdout=true&tty=true`;
    const ws = new WebSocket(url, ['v5.channel.k8s.io'], opts);
    let out = '';
    ws.on('message', (d: Buffer) => {
      if (d[0] === 1) out += d.subarray(1).toString();
    });
    await new Promise((resolve) => ws.on('open', resolve));
    ws.send(Buffer.concat([Buffer.from([4]), Buffer.from(JSON.stringify({ Width: 77, Height: 22 }))]));
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('x\r')]));
    await new Promise((resolve) => ws.on('close', resolve));
    expect(out).to.match(/22 77\r\n$/);
  });

  it('speaks v4 when that is all the server offers', async () => {
    await f.close();
    f = await kubeFixture({ execProtocols: ['v4.channel.k8s.io'] });
    f.emulator.core.seedPods([{ name: 'web-0' }]);
    const r = await runExec(f, 'web-0', ['sh', '-c', 'echo four; exit 3']);
    expect(r.protocol).to.equal('v4.channel.k8s.io');
    expect(r.stdout).to.equal('four\n');
    expect(r.status?.details?.causes?.[0]?.message).to.equal('3');
  });

  it('refuses SPDY upgrades with a 400 that says to use WebSockets', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request(`${f.emulator.url}/api/v1/namespaces/default/pods/web-0/exec?command=true&stdout=true`, {
        method: 'POST',
        ca: f.emulator.caCert,
        headers: { authorization: `Bearer ${f.emulator.token}`, connection: 'Upgrade', upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).to.equal(400);
    const status = JSON.parse(answer.body) as { reason: string; message: string };
    expect(status.reason).to.equal('BadRequest');
    expect(status.message).to.match(/SPDY is not supported.*WebSockets/);
  });

  it('fails an exec into an image without /bin/sh the way containerd does', async () => {
    f.emulator.core.seedPods([{ name: 'static', image: 'gcr.io/distroless/static:nonroot' }]);
    const r = await runExec(f, 'static', ['/bin/sh', '-c', 'true']);
    expect(r.status).to.include({ status: 'Failure', reason: 'InternalError' });
    expect(r.status?.message).to.match(/exec: "\/bin\/sh": stat \/bin\/sh: no such file or directory/);
  });

  it('refuses exec into a pod that is not running, before upgrading', async () => {
    f.emulator.core.seedPods([{ name: 'stuck', fault: 'image-pull' }]);
    let refusal: unknown;
    try {
      await runExec(f, 'stuck', ['true']);
    } catch (err) {
      refusal = err;
    }
    expect(String((refusal as { message?: string })?.message ?? refusal)).to.match(/400/);
    const log = f.emulator.core.requestLog.filter((e) => e.verb === 'exec');
    expect(log.at(-1)?.status).to.equal(400);
  });

  it('drops a pod\'s exec streams without a status (the kubelet idle timeout) and kills their processes', async () => {
    const stdin = new PassThrough();
    let pid = 0;
    const r = await runExec(f, 'web-0', ['sh', '-c', 'echo $$; exec cat'], {
      stdin,
      during: async (_ws, out) => {
        pid = Number(await eventually(() => /^(\d+)\n/.exec(out())?.[1], 'the command to start'));
        expect(f.emulator.core.execStreams('default', 'web-0')).to.have.length(1);
        expect(f.emulator.core.dropExecStreams('default', 'web-0')).to.equal(1);
      },
    });
    expect(r.status).to.equal(undefined);
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await eventually(() => !alive(), `cat (pid ${pid}) to be hung up`);
    await eventually(() => f.emulator.core.execStreams('default', 'web-0').length === 0, 'the stream to be forgotten');
  });
});
