import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { isDustError } from '../../src/errors/dust-error.js';
import { flattenLogin } from '../../src/ssh/connect-plan.js';
import { JumpHostPool } from '../../src/ssh/jump.js';
import { KnownHosts } from '../../src/ssh/known-hosts.js';
import type { LoginSpec } from '../../src/ssh/login.js';
import ssh2 from 'ssh2';
import { cleanupTmp, connectOnce, genKey, keyOnly, startServer, tmpDir } from './fixtures.js';
import type { TestServer } from './fixtures.js';

describe('jump hosts', function () {
  this.timeout(90_000);

  const clientKey = genKey('ed25519');
  const bastionHostKey = genKey('ed25519');
  let bastion: TestServer;
  const targets: TestServer[] = [];
  let dir: string;
  let knownHostsFile: string;

  const login = (host: string, port: number, jump?: LoginSpec): LoginSpec => ({
    host, port, username: 'tester', identities: keyOnly(clientKey.privateKey), source: 'test', explain: 'test key',
    ...(jump ? { jump } : {}),
  });
  const bastionSpec = (): LoginSpec => login('127.0.0.1', bastion.port);

  before(async () => {
    dir = tmpDir();
    knownHostsFile = path.join(dir, 'dust', 'known_hosts');
    bastion = await startServer({ hostKey: bastionHostKey.privateKey, allowedKeys: [clientKey.parsed], allowTcpip: true });
    for (let i = 0; i < 5; i++) {
      targets.push(await startServer({
        host: `127.0.0.${i + 2}`, hostKey: genKey('ed25519').privateKey, allowedKeys: [clientKey.parsed], execReply: `node${i}\n`,
      }));
    }
  });

  after(async () => {
    await Promise.all([bastion, ...targets].map((s) => s.close()));
    cleanupTmp();
  });

  it('5 nodes through one bastion open exactly one bastion connection; every host key is checked', async () => {
    const knownHosts = new KnownHosts({ writableFile: knownHostsFile, readOnlyFiles: [], policy: 'accept-new' });
    const jumps = new JumpHostPool({ knownHosts });
    try {
      const results = await Promise.all(targets.map((t) => connectOnce(login(t.host, t.port, bastionSpec()), { knownHosts, jumps })));
      expect(results.map((r) => r.output)).to.deep.equal(['node0\n', 'node1\n', 'node2\n', 'node3\n', 'node4\n']);
      expect(bastion.connections).to.equal(1);
      expect(jumps.connectionsOpened).to.equal(1);
      // The targets were reached through the tunnel, each with its own recorded host key.
      const lines = fs.readFileSync(knownHostsFile, 'utf8').trim().split('\n');
      expect(lines).to.have.length(6);
      expect(lines.some((l) => l.startsWith(`[127.0.0.1]:${bastion.port} `))).to.equal(true);
      for (const t of targets) expect(lines.some((l) => l.startsWith(`[${t.host}]:${t.port} `))).to.equal(true);

      // Reuse: a second round adds no bastion connection.
      await connectOnce(login(targets[0]!.host, targets[0]!.port, bastionSpec()), { knownHosts, jumps });
      expect(bastion.connections).to.equal(1);
    } finally {
      jumps.close();
    }
  });

  it('bastion loss fails its open tunnels; the next use reconnects', async () => {
    const knownHosts = new KnownHosts({ writableFile: knownHostsFile, readOnlyFiles: [], policy: 'accept-new' });
    const jumps = new JumpHostPool({ knownHosts });
    const before = bastion.connections;
    try {
      const t = targets[1]!;
      const tunnel = await jumps.openTunnel(bastionSpec(), t.host, t.port);
      const failed = new Promise<unknown>((resolve) => {
        tunnel.on('error', resolve);
      });
      expect(jumps.size).to.equal(1);
      bastion.dropClients();
      const err = await failed;
      expect(isDustError(err)).to.equal(true);
      expect((err as { code: string }).code).to.equal('DUST_SSH_LOST');
      expect(jumps.size).to.equal(0);

      const r = await connectOnce(login(t.host, t.port, bastionSpec()), { knownHosts, jumps });
      expect(r.output).to.equal('node1\n');
      expect(bastion.connections).to.equal(before + 2);
      expect(jumps.connectionsOpened).to.equal(2);
    } finally {
      jumps.close();
    }
  });

  it('refuses a bastion whose host key changed, and does not cache the failure', async () => {
    const file = path.join(dir, 'kh-changed');
    const wrong = genKey('ed25519').parsed.getPublicSSH().toString('base64');
    fs.writeFileSync(file, `[127.0.0.1]:${bastion.port} ssh-ed25519 ${wrong}\n`);
    const knownHosts = new KnownHosts({ writableFile: file, readOnlyFiles: [], policy: 'accept-new' });
    const jumps = new JumpHostPool({ knownHosts });
    try {
      const t = targets[2]!;
      const errs = await Promise.all([0, 1, 2].map(() =>
        connectOnce(login(t.host, t.port, bastionSpec()), { knownHosts, jumps }).then(() => undefined, (e: unknown) => e)));
      for (const e of errs) {
        expect((e as { code: string }).code).to.equal('DUST_SSH_HOSTKEY_CHANGED');
        expect((e as Error).message).to.contain(`${file}:1`);
      }
      expect(jumps.connectionsOpened).to.equal(1); // the three callers shared one attempt
      expect(jumps.size).to.equal(0);
      // After the user fixes known_hosts, the next use connects.
      fs.writeFileSync(file, '');
      expect((await connectOnce(login(t.host, t.port, bastionSpec()), { knownHosts, jumps })).output).to.equal('node2\n');
    } finally {
      jumps.close();
    }
  });

  it('flattenLogin hands the session layer a host/user/key plus an open tunnel as sock', async () => {
    const knownHosts = new KnownHosts({ writableFile: knownHostsFile, readOnlyFiles: [], policy: 'accept-new' });
    const jumps = new JumpHostPool({ knownHosts });
    try {
      const t = targets[3]!;
      const info = await flattenLogin(login(t.host, t.port, bastionSpec()), jumps, knownHosts);
      expect(info.sock).to.not.equal(undefined);
      const client = new ssh2.Client();
      const out = await new Promise<string>((resolve, reject) => {
        client.on('error', reject);
        client.on('ready', () => client.exec('x', (err, ch) => {
          if (err) return reject(err);
          let s = '';
          ch.on('data', (d: Buffer) => { s += d.toString(); });
          ch.on('close', () => { client.end(); resolve(s); });
        }));
        client.connect({ ...info, hostVerifier: (key: Buffer) => info.verifyHostKey(key).ok });
      });
      expect(out).to.equal('node3\n');
    } finally {
      jumps.close();
    }
  });

  it('reports a target the bastion cannot reach as DUST_SSH_CONNECT', async () => {
    const knownHosts = new KnownHosts({ writableFile: knownHostsFile, readOnlyFiles: [], policy: 'accept-new' });
    const jumps = new JumpHostPool({ knownHosts });
    try {
      // Our test bastion only forwards to loopback.
      const err = await jumps.openTunnel(bastionSpec(), '192.0.2.1', 22).then(() => undefined, (e: unknown) => e);
      expect((err as { code: string }).code).to.equal('DUST_SSH_CONNECT');
      expect((err as Error).message).to.contain('could not open a tunnel to 192.0.2.1:22');
    } finally {
      jumps.close();
    }
  });
});
