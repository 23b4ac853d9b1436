import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { DustNode } from '../../src/inventory/node.js';
import type { LoginIdentity } from '../../src/ssh/auth.js';
import { KnownHosts } from '../../src/ssh/known-hosts.js';
import { describeChain, parseJumpHop, resolveLogin } from '../../src/ssh/login.js';
import type { LoginSpec } from '../../src/ssh/login.js';
import { PrivateKeyStore } from '../../src/ssh/private-key.js';
import { parseSshConfig } from '../../src/ssh/ssh-config.js';
import { cleanupTmp, connectOnce, genKey, publicOfFile, sshKeygen, startAgent, startServer, tmpDir } from './fixtures.js';
import type { TestAgent } from './fixtures.js';

/** `file (label)` for key identities, `agent-key file` / `agent N` for the others: what a login offers, in order. */
function offered(spec: LoginSpec): string[] {
  return spec.identities.map((i: LoginIdentity) => (i.kind === 'key' ? `${path.basename(i.file)} (${i.label})`
    : i.kind === 'agent-key' ? `agent-key ${path.basename(i.file)}` : `agent ${i.count}`));
}

function node(fields: Partial<DustNode> & { name: string }): DustNode {
  return {
    index: 1, source: 'static', cluster: undefined, state: 'running', host: fields.name, port: 22,
    user: undefined, identityFile: undefined, proxyJump: undefined, tags: {}, annotations: {}, props: {}, ...fields,
  };
}

/** A temp HOME with ~/.ssh, the given default keys and a config. */
function home(config: string, defaultKeys: string[] = []): { home: string; ssh: string; cfg: ReturnType<typeof parseSshConfig> } {
  const h = tmpDir();
  const ssh = path.join(h, '.ssh');
  fs.mkdirSync(ssh, { mode: 0o700 });
  for (const k of defaultKeys) sshKeygen(ssh, k, { type: k === 'id_rsa' ? 'rsa' : k === 'id_ecdsa' ? 'ecdsa' : 'ed25519' });
  return { home: h, ssh, cfg: parseSshConfig(config, path.join(ssh, 'config'), { home: h, localUser: 'me' }) };
}

describe('login resolution', function () {
  this.timeout(60_000);
  after(cleanupTmp);

  it('node fields win over ssh config, which wins over defaults', async () => {
    const h = home(`
Host worker*
  User cfg-user
  Port 2200
  IdentityFile ~/.ssh/cfg_key
Host *
  User star
`, ['id_ed25519']);
    sshKeygen(h.ssh, 'cfg_key');
    sshKeygen(h.ssh, 'node_key');
    const keys = new PrivateKeyStore();
    const env = {};

    const fromNode = await resolveLogin(
      node({ name: 'worker1', host: '10.0.0.1', user: 'ubuntu', port: 2022, identityFile: '~/.ssh/node_key' }),
      { sshConfig: h.cfg, keys, env, nodeLabel: 'login rule' },
    );
    expect(fromNode).to.deep.include({ host: '10.0.0.1', port: 2022, username: 'ubuntu', source: 'login rule' });
    // The explicit key first (like ssh -i), then the ssh config's IdentityFile, as OpenSSH offers them.
    expect(offered(fromNode)).to.deep.equal(['node_key (login rule)', 'cfg_key (ssh config)']);
    const first = fromNode.identities[0]!;
    expect(first.kind === 'key' && first.privateKey.toString()).to.equal(fs.readFileSync(path.join(h.ssh, 'node_key'), 'utf8'));

    const fromCfg = await resolveLogin(node({ name: 'worker2', host: '10.0.0.2' }), { sshConfig: h.cfg, keys, env });
    expect(fromCfg).to.deep.include({ port: 2200, username: 'cfg-user', source: 'ssh config' });
    expect(offered(fromCfg)).to.deep.equal(['cfg_key (ssh config)']);
    expect(fromCfg.explain).to.contain('user cfg-user (ssh config)').and.contain('cfg_key (ssh config)');

    const defaults = await resolveLogin(node({ name: 'db', host: '10.0.0.3' }), {
      sshConfig: parseSshConfig('', 'none', { home: h.home, localUser: 'me' }), keys, env,
    });
    expect(defaults).to.deep.include({ port: 22, source: 'default' });
    expect(offered(defaults)).to.deep.equal(['id_ed25519 (default)']);
    expect(defaults.agent).to.equal(undefined);
    const withDefaultUser = await resolveLogin(node({ name: 'db', host: '10.0.0.3' }), {
      sshConfig: h.cfg, keys, env, defaultUser: 'ec2-user',
    });
    expect(withDefaultUser.username).to.equal('star'); // ssh config beats dust's default
  });

  it('uses HostName when the node host is an alias, and matches by name or host in file order', async () => {
    const h = home(`
Host web1
  HostName 192.168.7.1
  Port 2201
Host 10.0.0.5
  User by-address
Host worker*
  User by-name
`);
    const keys = new PrivateKeyStore();
    const web = await resolveLogin(node({ name: 'web1' }), { sshConfig: h.cfg, keys, env: {} });
    expect(web).to.deep.include({ host: '192.168.7.1', port: 2201, username: 'me' });
    const w = await resolveLogin(node({ name: 'worker3', host: '10.0.0.5' }), { sshConfig: h.cfg, keys, env: {} });
    expect(w.username).to.equal('by-address');
  });

  it('uses a real ssh-agent from SSH_AUTH_SOCK; encrypted default keys are not prompted for when an agent exists', async () => {
    const h = home('Host only\n  IdentitiesOnly yes\n  IdentityFile ~/.ssh/k\n');
    sshKeygen(h.ssh, 'k');
    sshKeygen(h.ssh, 'id_ed25519', { passphrase: 'secret-pass' });
    sshKeygen(h.ssh, 'id_rsa', { type: 'rsa' });
    const other = sshKeygen(tmpDir(), 'agent_only');
    const agent = await startAgent(tmpDir());
    try {
      agent.add(other);
      let asked = 0;
      const keys = new PrivateKeyStore({ askSecret: async () => { asked++; return 'secret-pass'; } });
      const env = { SSH_AUTH_SOCK: agent.socket };
      const a = await resolveLogin(node({ name: 'x' }), { sshConfig: h.cfg, keys, env });
      expect(a.agent).to.equal(agent.socket);
      expect(offered(a)).to.deep.equal(['id_rsa (default)', 'agent 1']);
      expect(asked).to.equal(0);
      const noAgent = await resolveLogin(node({ name: 'x' }), { sshConfig: h.cfg, keys, env: {} });
      expect(offered(noAgent)).to.deep.equal(['id_ed25519 (default)', 'id_rsa (default)']);
      expect(asked).to.equal(1);
      // IdentitiesOnly: the agent's keys that are not configured are not offered.
      const only = await resolveLogin(node({ name: 'only' }), { sshConfig: h.cfg, keys, env });
      expect(offered(only)).to.deep.equal(['k (ssh config)']);
      // A socket nobody listens on is noted, not used (it would fail the whole handshake).
      const dead = await resolveLogin(node({ name: 'x' }), { sshConfig: h.cfg, keys, env: { SSH_AUTH_SOCK: path.join(h.home, 'nope.sock') } });
      expect(dead.agent).to.equal(undefined);
      expect(dead.explain).to.contain(`ssh-agent at ${path.join(h.home, 'nope.sock')} not reachable`);
    } finally {
      await agent.close();
    }
  });

  it('IdentityAgent: none disables the agent, a path or $VAR names another one', async () => {
    const agentDir = tmpDir();
    const agent = await startAgent(agentDir);
    try {
      agent.add(sshKeygen(tmpDir(), 'in_agent'));
      const h = home(`
Host off
  IdentityAgent none
Host bypath
  IdentityAgent ${agent.socket}
Host byvar
  IdentityAgent $OTHER_AGENT
`);
      const keys = new PrivateKeyStore();
      const elsewhere = { SSH_AUTH_SOCK: path.join(agentDir, 'not-this-one'), OTHER_AGENT: agent.socket };
      expect((await resolveLogin(node({ name: 'off' }), { sshConfig: h.cfg, keys, env: { SSH_AUTH_SOCK: agent.socket } })).agent).to.equal(undefined);
      expect((await resolveLogin(node({ name: 'bypath' }), { sshConfig: h.cfg, keys, env: elsewhere })).agent).to.equal(agent.socket);
      expect((await resolveLogin(node({ name: 'byvar' }), { sshConfig: h.cfg, keys, env: elsewhere })).agent).to.equal(agent.socket);
    } finally {
      await agent.close();
    }
  });

  it('a missing explicit key is an error; missing ssh-config keys are skipped', async () => {
    const h = home('Host *\n  IdentityFile ~/.ssh/not-there\n');
    const keys = new PrivateKeyStore();
    const err = await resolveLogin(node({ name: 'n', identityFile: '~/.ssh/gone' }), { sshConfig: h.cfg, keys, env: {} })
      .then(() => undefined, (e: unknown) => e);
    expect((err as { code: string }).code).to.equal('DUST_SSH_KEY');
    expect((err as Error).message).to.contain(path.join(h.ssh, 'gone'));
    const ok = await resolveLogin(node({ name: 'n' }), { sshConfig: h.cfg, keys, env: {} });
    expect(ok.identities).to.deep.equal([]);
    expect(ok.explain).to.contain('not found');
  });

  it('resolves ProxyJump chains through ssh config, recursively and without self-loops', async () => {
    const h = home(`
Host bastion
  HostName 203.0.113.10
  User jumper
  Port 2222
Host inner
  HostName 10.0.0.1
  ProxyJump bastion
Host *
  ProxyJump bastion
`);
    const keys = new PrivateKeyStore();
    const viaCfg = await resolveLogin(node({ name: 'n1', host: '10.0.0.9' }), { sshConfig: h.cfg, keys, env: {} });
    // `Host *` also matches the bastion; it must not jump through itself.
    expect(viaCfg.jump).to.deep.include({ host: '203.0.113.10', port: 2222, username: 'jumper' });
    expect(viaCfg.jump?.jump).to.equal(undefined);

    const viaNode = await resolveLogin(node({ name: 'n2', host: '10.9.9.9', proxyJump: 'ops@inner:2200' }), { sshConfig: h.cfg, keys, env: {} });
    expect(viaNode.jump).to.deep.include({ host: '10.0.0.1', port: 2200, username: 'ops' });
    expect(viaNode.jump?.jump).to.deep.include({ host: '203.0.113.10' });
    expect(describeChain(viaNode)).to.equal('jumper@203.0.113.10:2222 → ops@10.0.0.1:2200 → me@10.9.9.9');

    // a,b: client → a → b → target; b's own ProxyJump is not used.
    const chain = await resolveLogin(node({ name: 'n3', host: '10.1.1.1', proxyJump: 'first:2000,inner' }), { sshConfig: h.cfg, keys, env: {} });
    expect(describeChain(chain)).to.equal('jumper@203.0.113.10:2222 → me@first:2000 → me@10.0.0.1 → me@10.1.1.1');
  });

  it('parses jump hop syntax', () => {
    expect(parseJumpHop('u@h:22')).to.deep.equal({ user: 'u', host: 'h', port: 22 });
    expect(parseJumpHop('ssh://[::1]:2200')).to.deep.equal({ host: '::1', port: 2200 });
    expect(parseJumpHop('h')).to.deep.equal({ host: 'h' });
    expect(() => parseJumpHop('u@h:99999')).to.throw(/Invalid jump host/);
  });
});

describe('authentication with several keys (real ssh2 handshakes)', function () {
  this.timeout(60_000);
  after(cleanupTmp);
  let agent: TestAgent | undefined;
  afterEach(async () => {
    await agent?.close();
    agent = undefined;
  });

  const connect = async (spec: LoginSpec, port: number) => {
    const knownHosts = new KnownHosts({ writableFile: path.join(tmpDir(), 'kh'), readOnlyFiles: [], policy: 'accept-new' });
    return connectOnce({ ...spec, host: '127.0.0.1', port }, { knownHosts });
  };

  it('tries every IdentityFile in order until the server accepts one; a failure names every key tried', async () => {
    const h = home(`
Host *
  IdentityFile ~/.ssh/first
  IdentityFile ~/.ssh/missing
  IdentityFile ~/.ssh/second
  IdentityFile ~/.ssh/third
`);
    for (const k of ['first', 'second', 'third']) sshKeygen(h.ssh, k);
    const server = await startServer({ hostKey: genKey().privateKey, allowedKeys: [publicOfFile(path.join(h.ssh, 'third'))] });
    try {
      const spec = await resolveLogin(node({ name: 'n' }), { sshConfig: h.cfg, keys: new PrivateKeyStore(), env: {} });
      expect(offered(spec)).to.deep.equal(['first (ssh config)', 'second (ssh config)', 'third (ssh config)']);
      expect((await connect(spec, server.port)).output).to.equal('ok\n');

      const stranger = await startServer({ hostKey: genKey().privateKey, allowedKeys: [genKey().parsed] });
      try {
        const err = await connect(spec, stranger.port).then(() => undefined, (e: unknown) => e) as { code: string; message: string };
        expect(err.code).to.equal('DUST_SSH_AUTH');
        expect(err.message).to.contain('key ~/.ssh/first (ssh config), key ~/.ssh/second (ssh config), key ~/.ssh/third (ssh config)')
          .and.contain('ssh config IdentityFile');
        expect(err.message).to.contain(path.join(h.ssh, 'missing'));
      } finally {
        await stranger.close();
      }
    } finally {
      await server.close();
    }
  });

  it('an encrypted key the agent holds is used through the agent without a prompt; IdentitiesOnly keeps other agent keys out', async () => {
    const h = home('Host only\n  IdentitiesOnly yes\n  IdentityFile ~/.ssh/enc\nHost *\n  IdentityFile ~/.ssh/enc\n');
    // The same key twice: encrypted where the config points, unencrypted for ssh-add.
    const plain = sshKeygen(tmpDir(), 'enc_plain');
    fs.copyFileSync(plain, path.join(h.ssh, 'enc'));
    fs.chmodSync(path.join(h.ssh, 'enc'), 0o600);
    execFileSync('ssh-keygen', ['-q', '-p', '-a', '4', '-P', '', '-N', 'pw-secret', '-f', path.join(h.ssh, 'enc')], { stdio: 'ignore' });
    const otherKey = sshKeygen(tmpDir(), 'other');
    agent = await startAgent(tmpDir());
    agent.add(plain);
    agent.add(otherKey);
    let asked = 0;
    const keys = new PrivateKeyStore({ askSecret: async () => { asked++; return 'pw-secret'; } });
    const env = { SSH_AUTH_SOCK: agent.socket };
    const server = await startServer({ hostKey: genKey().privateKey, allowedKeys: [publicOfFile(plain), publicOfFile(otherKey)] });
    const onlyOther = await startServer({ hostKey: genKey().privateKey, allowedKeys: [publicOfFile(otherKey)] });
    try {
      // No enc.pub next to it: the public half comes from the key file's own header.
      expect(fs.existsSync(path.join(h.ssh, 'enc.pub'))).to.equal(false);
      const spec = await resolveLogin(node({ name: 'n' }), { sshConfig: h.cfg, keys, env });
      expect(offered(spec)).to.deep.equal(['agent-key enc', 'agent 1']);
      expect(spec.explain).to.contain('key ~/.ssh/enc (ssh config, via ssh-agent), ssh-agent (1 other key)');
      expect((await connect(spec, server.port)).output).to.equal('ok\n');
      expect((await connect(spec, onlyOther.port)).output).to.equal('ok\n');
      expect(asked).to.equal(0);

      const only = await resolveLogin(node({ name: 'only' }), { sshConfig: h.cfg, keys, env });
      expect(offered(only)).to.deep.equal(['agent-key enc']);
      expect((await connect(only, server.port)).output).to.equal('ok\n');
      const refused = await connect(only, onlyOther.port).then(() => undefined, (e: unknown) => e) as { code: string };
      expect(refused.code).to.equal('DUST_SSH_AUTH');
      expect(asked).to.equal(0);
    } finally {
      await server.close();
      await onlyOther.close();
    }
  });
});
