import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { DustNode } from '../../src/inventory/node.js';
import { describeChain, parseJumpHop, resolveLogin } from '../../src/ssh/login.js';
import { PrivateKeyStore } from '../../src/ssh/private-key.js';
import { parseSshConfig } from '../../src/ssh/ssh-config.js';
import { cleanupTmp, sshKeygen, tmpDir } from './fixtures.js';

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
    expect(fromNode.identityFile).to.equal(path.join(h.ssh, 'node_key'));
    expect(fromNode.privateKey?.toString()).to.equal(fs.readFileSync(path.join(h.ssh, 'node_key'), 'utf8'));

    const fromCfg = await resolveLogin(node({ name: 'worker2', host: '10.0.0.2' }), { sshConfig: h.cfg, keys, env });
    expect(fromCfg).to.deep.include({ port: 2200, username: 'cfg-user', source: 'ssh config' });
    expect(fromCfg.identityFile).to.equal(path.join(h.ssh, 'cfg_key'));
    expect(fromCfg.explain).to.contain('user cfg-user (ssh config)').and.contain('cfg_key (ssh config)');

    const defaults = await resolveLogin(node({ name: 'db', host: '10.0.0.3' }), {
      sshConfig: parseSshConfig('', 'none', { home: h.home, localUser: 'me' }), keys, env,
    });
    expect(defaults).to.deep.include({ port: 22, source: 'default' });
    expect(defaults.identityFile).to.equal(path.join(h.ssh, 'id_ed25519'));
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

  it('adds SSH_AUTH_SOCK as agent, skips encrypted default keys when an agent exists, honours IdentitiesOnly', async () => {
    const h = home('Host only\n  IdentitiesOnly yes\n  IdentityFile ~/.ssh/k\n');
    sshKeygen(h.ssh, 'k');
    sshKeygen(h.ssh, 'id_ed25519', { passphrase: 'secret-pass' });
    sshKeygen(h.ssh, 'id_rsa', { type: 'rsa' });
    let asked = 0;
    const keys = new PrivateKeyStore({ askSecret: async () => { asked++; return 'secret-pass'; } });
    const env = { SSH_AUTH_SOCK: '/tmp/agent.sock' };
    const a = await resolveLogin(node({ name: 'x' }), { sshConfig: h.cfg, keys, env });
    expect(a.agent).to.equal('/tmp/agent.sock');
    expect(a.identityFile).to.equal(path.join(h.ssh, 'id_rsa'));
    expect(asked).to.equal(0);
    const noAgent = await resolveLogin(node({ name: 'x' }), { sshConfig: h.cfg, keys, env: {} });
    expect(noAgent.identityFile).to.equal(path.join(h.ssh, 'id_ed25519'));
    expect(asked).to.equal(1);
    const only = await resolveLogin(node({ name: 'only' }), { sshConfig: h.cfg, keys, env });
    expect(only.agent).to.equal(undefined);
    expect(only.identityFile).to.equal(path.join(h.ssh, 'k'));
  });

  it('a missing explicit key is an error; missing ssh-config keys are skipped', async () => {
    const h = home('Host *\n  IdentityFile ~/.ssh/not-there\n');
    const keys = new PrivateKeyStore();
    const err = await resolveLogin(node({ name: 'n', identityFile: '~/.ssh/gone' }), { sshConfig: h.cfg, keys, env: {} })
      .then(() => undefined, (e: unknown) => e);
    expect((err as { code: string }).code).to.equal('DUST_SSH_KEY');
    expect((err as Error).message).to.contain(path.join(h.ssh, 'gone'));
    const ok = await resolveLogin(node({ name: 'n' }), { sshConfig: h.cfg, keys, env: {} });
    expect(ok.privateKey).to.equal(undefined);
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
