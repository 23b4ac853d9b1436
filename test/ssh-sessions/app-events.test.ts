/**
 * What a whole dust (DustApp, as the shell wires it) prints when a session's connection goes away or a nested shell
 * ends by itself: each thing said once, and a notice never dressed up as a lost connection.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { requireSshd, startSshdCluster, type SshdCluster } from '../harness/sshd-cluster.js';
import { loadConfig } from '../../src/config/load-config.js';
import { TerminalOutput } from '../../src/output/terminal-output.js';
import { ensureDustHome, type DustApp } from '../../src/shell/app.js';
import { composeDust } from '../../src/compose.js';
import { NoTerminalPrompter } from '../../src/shell/prompter.js';
import { eventually } from './helpers.js';

describe('dust: lost connections and notices, as printed', function () {
  this.timeout(120_000);
  let cluster: SshdCluster;
  let dir: string;
  let app: DustApp;
  const printed: string[] = [];
  let onChunk: ((text: string) => void) | undefined;

  before(async function () {
    requireSshd(this);
    cluster = await startSshdCluster({ count: 3 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-app-events-'));
    const config = path.join(dir, 'dust.yaml');
    fs.writeFileSync(config, [
      'sshConfig: false',
      'hostKeyChecking: accept-new',
      'nodes:',
      ...cluster.nodes.map((n) => `  - { name: ${n.name}, host: ${n.host}, port: ${n.port} }`),
      'logins:',
      `  - { selector: '*', user: ${cluster.user}, identityFile: ${cluster.clientKeyPath} }`,
      '',
    ].join('\n'));
    const home = path.join(dir, 'home');
    ensureDustHome(home);
    const sink = new Writable({
      decodeStrings: false,
      write(chunk: string | Buffer, _enc, cb) {
        const text = String(chunk);
        for (const line of text.split('\n')) if (line !== '') printed.push(line);
        onChunk?.(text);
        cb();
      },
    });
    const out = new TerminalOutput(sink, sink, { color: false });
    app = await composeDust({
      version: 'test', dustHome: home, loaded: await loadConfig({ explicitFile: config, dustHome: home }), out,
      prompt: new NoTerminalPrompter(), terminal: { withTerminal: (fn) => fn({ input: process.stdin, output: process.stdout }) },
      // As typed at a prompt: commands keep the terminal as their stdin (a script's get /dev/null).
      interactive: true,
    });
  });
  after(async () => {
    await app?.shutdown();
    await cluster?.down();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const about = (node: string): string[] => printed.filter((l) => l.startsWith(`[${node}]`) && /✖|connection lost|reconnect/.test(l));

  it('a connection lost while a command runs there is named once, on the node\'s ✖ line', async () => {
    expect(await app.runner.runLine('@* true')).to.equal(true);
    printed.length = 0;
    let killing: Promise<void> | undefined;
    onChunk = (text) => { if (!killing && text.includes('[node2] started')) killing = cluster.stopNode('node2'); };
    const ok = await app.runner.runLine('@* echo started; sleep 2; echo finished');
    onChunk = undefined;
    await killing;
    await new Promise((r) => setTimeout(r, 300)); // a late 'lost' warning would arrive by now
    expect(ok).to.equal(false);
    expect(about('node2')).to.have.length(1);
    expect(about('node2')[0]).to.match(/^\[node2\]\s+✖ connection (closed|lost)/);
    expect(printed.filter((l) => /^\[node[01]\]\s+finished$/.test(l))).to.have.length(2);
    await cluster.startNode('node2');
  });

  it('a connection lost between commands gets one warning; the next command says it reconnected', async () => {
    expect(await app.runner.runLine('@* true')).to.equal(true);
    printed.length = 0;
    await cluster.restartNode('node1');
    await eventually(() => about('node1').length > 0, 'the lost warning');
    expect(about('node1')).to.deep.equal(['[node1] connection lost: connection closed (reconnects on next use)']);
    expect(await app.runner.runLine('@node1 true')).to.equal(true);
  });

  it('a nested shell that ends by itself is a notice, not a lost connection', async () => {
    expect(await app.runner.runLine('@node0 sh')).to.equal(true);
    printed.length = 0;
    // The nested sh is killed from a background job, while no command runs: dust learns it from the outer prompt.
    await app.runner.runLine('@node0 (sleep 1; kill -KILL $$) >/dev/null 2>&1 &');
    await eventually(() => printed.some((l) => l.includes('left the nested shell')), `the notice; got ${JSON.stringify(printed)}`);
    expect(printed.filter((l) => l.includes('connection lost'))).to.deep.equal([]);
    expect(printed.find((l) => l.includes('left the nested shell'))).to.match(/^\[node0\] left the nested shell \(it exited with rc \d+\); back in dust's own shell/);
    expect(await app.runner.runLine('@node0 true')).to.equal(true);
  });
});
