/**
 * The probes setup types into a node, run by a real /bin/sh with a PATH that holds only what each case needs
 * (fake tools in a temp dir), so "nothing found" can be tested on a machine that has apt-get and pip.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import {
  factsProbe, installCommand, parseFacts, parsePip, pipInstallCommand, pipProbe, privilegePrefix,
} from '../../src/clusters/package-managers.js';

function withTools(tools: Record<string, string>, fn: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-pm-test-'));
  try {
    for (const [name, body] of Object.entries(tools)) fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const probe = (line: string, dir: string): string[] =>
  execFileSync('/bin/sh', ['-c', line], { env: { PATH: dir }, encoding: 'utf8' }).split('\n');

describe('cluster setup: package manager and pip probes', () => {
  it('finds the first package manager in order, root or not, and sudo', () => {
    withTools({ 'apt-get': 'exit 0', yum: 'exit 0', id: 'echo 1000', sudo: 'exit 0' }, (dir) => {
      const facts = parseFacts(probe(factsProbe(), dir));
      expect(facts).to.deep.equal({ packageManager: { name: 'yum', path: `${dir}/yum` }, root: false, sudo: `${dir}/sudo` });
      expect(privilegePrefix(facts)).to.deep.equal({ prefix: `'${dir}/sudo' -n ` });
    });
    withTools({ apk: 'exit 0', id: 'echo 0' }, (dir) => {
      const facts = parseFacts(probe(factsProbe(), dir));
      expect(facts).to.deep.equal({ packageManager: { name: 'apk', path: `${dir}/apk` }, root: true, sudo: undefined });
      expect(privilegePrefix(facts)).to.deep.equal({ prefix: '' });
    });
    withTools({ id: 'echo 1000' }, (dir) => {
      const facts = parseFacts(probe(factsProbe(), dir));
      expect(facts.packageManager).to.equal(undefined);
      expect(privilegePrefix(facts)).to.deep.equal({ problem: 'installing packages needs root, and this login is not root and has no sudo' });
    });
  });

  it('finds pip3, then pip, then python3 -m pip, and nothing where there is none', () => {
    withTools({ pip: 'exit 0', pip3: 'exit 0' }, (dir) => expect(parsePip(probe(pipProbe(), dir))).to.equal(`${dir}/pip3`));
    withTools({ python3: '[ "$1 $2 $3" = "-m pip --version" ] && exit 0; exit 1' }, (dir) => expect(parsePip(probe(pipProbe(), dir))).to.equal(`${dir}/python3 -m pip`));
    withTools({ python3: 'exit 1' }, (dir) => expect(parsePip(probe(pipProbe(), dir))).to.equal(undefined));
  });

  it('builds non-interactive install lines with every name quoted', () => {
    expect(installCommand({ name: 'zypper', path: '/usr/bin/zypper' }, ['a b'], '')).to.equal(`'/usr/bin/zypper' --non-interactive install 'a b'`);
    expect(installCommand({ name: 'apk', path: '/sbin/apk' }, ['git'], `'/usr/bin/sudo' -n `)).to.equal(`'/usr/bin/sudo' -n '/sbin/apk' add --no-progress 'git'`);
    expect(pipInstallCommand('/usr/bin/python3 -m pip', ['x;rm -rf /'], true)).to.equal(`'/usr/bin/python3' -m pip install --disable-pip-version-check --progress-bar off 'x;rm -rf /'`);
    // Not root: --user, except inside a virtualenv (decided on the node).
    withTools({}, (dir) => {
      const line = pipInstallCommand('echo', ['numpy'], false);
      expect(execFileSync('/bin/sh', ['-c', line], { env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8' })).to.equal('install --disable-pip-version-check --progress-bar off --user numpy\n');
      expect(execFileSync('/bin/sh', ['-c', line], { env: { PATH: '/usr/bin:/bin', VIRTUAL_ENV: dir }, encoding: 'utf8' })).to.equal('install --disable-pip-version-check --progress-bar off numpy\n');
    });
  });
});
