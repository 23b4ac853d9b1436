import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { isDustError } from '../../src/errors/dust-error.js';
import { KnownHosts } from '../../src/ssh/known-hosts.js';
import { JumpHostPool } from '../../src/ssh/jump.js';
import { resolveLogin } from '../../src/ssh/login.js';
import type { LoginSpec } from '../../src/ssh/login.js';
import { PrivateKeyStore } from '../../src/ssh/private-key.js';
import { expandProxyCommand, openProxyCommand } from '../../src/ssh/proxy-command.js';
import { parseSshConfig } from '../../src/ssh/ssh-config.js';
import type { DustNode } from '../../src/inventory/node.js';
import { cleanupTmp, connectOnce, genKey, keyOnly, startServer, tmpDir } from './fixtures.js';
import type { TestServer } from './fixtures.js';
import { eventually } from '../helpers/eventually.js';

/**
 * A ProxyCommand written as users write `nc %h %p`: a node one-liner that pipes stdio to host:port, records its
 * pid (so the test can see it end) and reports a connect failure on stderr with exit 1, like nc.
 */
function pipeCommand(pidFile: string): string {
  const js = `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));`
    + "const s = require('net').connect(+process.argv[2], process.argv[1]);"
    + "s.on('error', (e) => { console.error('pipe: connect to ' + process.argv[1] + ' port ' + process.argv[2] + ': ' + e.code); process.exit(1); });"
    + 'process.stdin.pipe(s).pipe(process.stdout);';
  return `${process.execPath} -e "${js.replace(/"/g, '\\"')}" %h %p`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function node(fields: Partial<DustNode> & { name: string }): DustNode {
  return {
    index: 1, source: 'static', cluster: undefined, state: 'running', host: fields.name, port: 22,
    user: undefined, identityFile: undefined, proxyJump: undefined, tags: {}, annotations: {}, props: {}, ...fields,
  };
}

describe('ProxyCommand', function () {
  this.timeout(60_000);
  const client = genKey();
  let server: TestServer;
  let dir: string;
  let knownHosts: KnownHosts;

  before(async () => {
    server = await startServer({ hostKey: genKey().privateKey, allowedKeys: [client.parsed], host: '127.0.0.7', execReply: 'through the proxy\n' });
    dir = tmpDir();
    knownHosts = new KnownHosts({ writableFile: path.join(dir, 'kh'), readOnlyFiles: [], policy: 'accept-new' });
  });
  after(async () => {
    await server?.close();
    cleanupTmp();
  });

  const spec = (proxyCommand: string, port = server.port): LoginSpec => ({
    host: server.host, port, username: 'me', identities: keyOnly(client.privateKey), source: 'test', explain: 'test key',
    proxyCommand: expandProxyCommand(proxyCommand, { h: server.host, p: port, r: 'me', n: 'node7' }),
  });

  it('carries the connection over the command\'s stdio, checks the host key, and ends the command with the connection', async () => {
    const pidFile = path.join(dir, 'proxy.pid');
    const before = server.connections;
    const r = await connectOnce(spec(pipeCommand(pidFile)), { knownHosts });
    expect(r).to.deep.equal({ output: 'through the proxy\n', recorded: true });
    expect(server.connections).to.equal(before + 1);
    // The host key was filed under the node's own address, as a direct connection would.
    expect(fs.readFileSync(path.join(dir, 'kh'), 'utf8')).to.match(new RegExp(`^\\[127\\.0\\.0\\.7\\]:${server.port} ssh-ed25519 `));
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    await eventually(() => !alive(pid), 'the proxy command to exit after the connection ended');
  });

  it('a command that fails says so with its exit status and last stderr line', async () => {
    const closed = await startServer({ hostKey: genKey().privateKey, allowedKeys: [] });
    const deadPort = closed.port;
    await closed.close();
    const err = await connectOnce(spec(pipeCommand(path.join(dir, 'p2.pid')), deadPort), { knownHosts }).then(() => undefined, (e: unknown) => e);
    expect(isDustError(err)).to.equal(true);
    expect((err as { code: string }).code).to.equal('DUST_SSH_PROXY_COMMAND');
    expect((err as Error).message).to.equal(`proxy command exited 1: pipe: connect to 127.0.0.7 port ${deadPort}: ECONNREFUSED`);
    expect((err as { hint: string }).hint).to.contain('run it by hand');

    const silent = await connectOnce(spec('true'), { knownHosts }).then(() => undefined, (e: unknown) => e);
    expect((silent as Error).message).to.equal('proxy command exited 0 without a word from the server');
    const missing = await connectOnce(spec('no-such-proxy-tool %h'), { knownHosts }).then(() => undefined, (e: unknown) => e);
    expect((missing as Error).message).to.match(/^proxy command exited 127: .*no-such-proxy-tool.*not found/);
  });

  it('destroying the socket kills the whole process group of the command', async () => {
    const pidFile = path.join(dir, 'grp.pid');
    // A wrapper shell with a child of its own: `exec` replaces only the outer shell.
    const sock = openProxyCommand(`sh -c 'sleep 60 & echo $! > ${pidFile}; wait'`);
    await eventually(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim() !== '', 'the child to start');
    const child = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(alive(child)).to.equal(true);
    sock.destroy();
    await eventually(() => !alive(child), 'the grandchild to be killed');
  });

  it('ssh config ProxyCommand: tokens expanded from the final login; a node proxyJump or ProxyCommand none wins', async () => {
    const cfg = parseSshConfig(`
Host direct
  ProxyCommand none
Host *.ssm
  User ec2-user
  ProxyCommand sh -c "aws ssm start-session --target %h --parameters portNumber=%p # as %r for %n, 100%%"
Host *
  ProxyJump bastion
`, '/cfg', { home: dir, localUser: 'me' });
    const keys = new PrivateKeyStore();
    const ssm = await resolveLogin(node({ name: 'i-0abc.ssm', port: 2222 }), { sshConfig: cfg, keys, env: {} });
    expect(ssm.proxyCommand).to.equal('sh -c "aws ssm start-session --target i-0abc.ssm --parameters portNumber=2222 # as ec2-user for i-0abc.ssm, 100%"');
    expect(ssm.jump).to.equal(undefined);
    expect(ssm.explain).to.contain('via ProxyCommand (ssh config)');
    const viaNode = await resolveLogin(node({ name: 'x.ssm', proxyJump: 'jumper' }), { sshConfig: cfg, keys, env: {} });
    expect(viaNode.proxyCommand).to.equal(undefined);
    expect(viaNode.jump?.host).to.equal('jumper');
    const direct = await resolveLogin(node({ name: 'direct' }), { sshConfig: cfg, keys, env: {} });
    expect(direct).to.not.have.any.keys('proxyCommand', 'jump');

    const bad = parseSshConfig('Host *\n  ProxyCommand nc %h %z\n', '/cfg', { home: dir, localUser: 'me' });
    const err = await resolveLogin(node({ name: 'n' }), { sshConfig: bad, keys, env: {} }).then(() => undefined, (e: unknown) => e);
    expect((err as { code: string }).code).to.equal('DUST_CONFIG_INVALID');
    expect((err as Error).message).to.contain('unknown token %z');
  });

  it('a jump host reached by its own ProxyCommand (a bastion behind SSM) carries the tunnels to nodes', async () => {
    const bastion = await startServer({ hostKey: genKey().privateKey, allowedKeys: [client.parsed], allowTcpip: true, host: '127.0.0.8' });
    const keyFile = path.join(dir, 'client_key');
    fs.writeFileSync(keyFile, client.privateKey, { mode: 0o600 });
    const pidFile = path.join(dir, 'bastion-proxy.pid');
    const cfg = parseSshConfig(`
Host bastion
  HostName 127.0.0.8
  Port ${bastion.port}
  ProxyCommand ${pipeCommand(pidFile)}
Host *
  IdentityFile ${keyFile}
`, '/cfg', { home: dir, localUser: 'me' });
    const jumps = new JumpHostPool({ knownHosts });
    try {
      const login = await resolveLogin(node({ name: 'inner', host: server.host, port: server.port, proxyJump: 'bastion' }), {
        sshConfig: cfg, keys: new PrivateKeyStore(), env: {},
      });
      expect(login.jump?.proxyCommand).to.contain(`127.0.0.8 ${bastion.port}`);
      const r = await connectOnce(login, { knownHosts, jumps });
      expect(r.output).to.equal('through the proxy\n');
      expect(bastion.connections).to.equal(1);
      expect(alive(Number(fs.readFileSync(pidFile, 'utf8')))).to.equal(true);
    } finally {
      jumps.close();
      await bastion.close();
    }
    await eventually(() => !alive(Number(fs.readFileSync(pidFile, 'utf8'))), 'the bastion\'s proxy command to end with the pool');
  });
});
