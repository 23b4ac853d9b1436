import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { tokenize, splitFirstWord } from '../../src/shell/tokenize.js';
import { CommandRegistry } from '../../src/plugins/registry.js';
import { parseLine } from '../../src/shell/parse-line.js';
import { filterHistoryLine } from '../../src/shell/history-filter.js';
import { Inventory } from '../../src/inventory/inventory.js';
import { StaticProvider } from '../../src/inventory/static-provider.js';
import { naturalCompare } from '../../src/inventory/natural-compare.js';
import { validateConfig } from '../../src/config/validate-config.js';
import { defaultConfig } from '../../src/config/defaults.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { TerminalOutput } from '../../src/output/terminal-output.js';
import { EventBus } from '../../src/plugins/events.js';
import type { CommandSpec } from '../../src/plugins/api.js';

const cmd = (name: string, extra: Partial<CommandSpec> = {}): CommandSpec => ({ name, usage: name, summary: name, run: () => undefined, ...extra });

describe('tokenize', () => {
  it('splits like a shell: quotes, escapes, no expansion', () => {
    expect(tokenize(`a 'b c' "d \\"e\\"" f\\ g $HOME`)).to.deep.equal(['a', 'b c', 'd "e"', 'f g', '$HOME']);
    expect(tokenize(`''`)).to.deep.equal(['']);
    expect(() => tokenize(`a 'b`)).to.throw('unclosed single quote');
    expect(splitFirstWord('  @worker* ls -l  "x"')).to.deep.equal(['@worker*', 'ls -l  "x"']);
  });
});

describe('command registry and line parsing', () => {
  const reg = new CommandRegistry();
  reg.register(cmd('show', { aliases: ['?x'] }), 'builtin:a', 'built-in');
  reg.register(cmd('at', { prefix: '@', target: { mode: 'optional' } }), 'builtin:at', 'built-in');
  reg.register(cmd('local', { prefix: '!' }), 'builtin:l', 'built-in');
  reg.register(cmd('fallback', { fallback: true }), 'builtin:l', 'built-in');

  it('routes prefix commands with a glued target and raw remainder', () => {
    const p = parseLine(`@worker[1-3] echo "a  b" | wc -c`, reg)!;
    expect(p.command.spec.name).to.equal('at');
    expect(p.gluedTarget).to.equal('worker[1-3]');
    expect(p.raw).to.equal('echo "a  b" | wc -c');
    const bare = parseLine('@ uptime', reg)!;
    expect(bare.gluedTarget).to.equal(undefined);
    expect(bare.raw).to.equal('uptime');
    const raw = parseLine('@worker3', reg)!;
    expect(raw.gluedTarget).to.equal('worker3');
    expect(raw.raw).to.equal('');
    expect(parseLine('!ls -l', reg)!.raw).to.equal('ls -l');
  });

  it('finds names case-insensitively and gives unknown words to the fallback', () => {
    expect(parseLine('SHOW -v', reg)!.command.spec.name).to.equal('show');
    const p = parseLine('./deploy.sh now', reg)!;
    expect(p.viaFallback).to.equal(true);
    expect(p.raw).to.equal('./deploy.sh now');
    expect(parseLine('   ', reg)).to.equal(undefined);
  });

  it('records a clash: the later registration wins', () => {
    const r = new CommandRegistry();
    r.register(cmd('show'), 'builtin:show', 'built-in');
    r.register(cmd('show'), 'my-plugin', '/p/my.js');
    expect(r.lookup('show')!.plugin).to.equal('my-plugin');
    expect(r.clashes).to.have.length(1);
    expect(r.clashes[0]!.loser.plugin).to.equal('builtin:show');
  });

  it('rejects a malformed command definition with the plugin name', () => {
    const r = new CommandRegistry();
    expect(() => r.register({ name: 'x y', usage: '', summary: '', run: () => undefined }, 'bad-plugin', 'f')).to.throw(/bad-plugin.*invalid name/);
  });
});

describe('config without a file', () => {
  it('defaultConfig() is exactly what the schema makes of an empty config, and a fresh object each time', () => {
    expect(defaultConfig()).to.deep.equal(ConfigSchema.parse({}));
    const a = defaultConfig();
    a.nodes.push({ name: 'x', host: '127.0.0.1' } as never);
    expect(defaultConfig().nodes).to.deep.equal([]);
  });
});

describe('history filter', () => {
  it('drops leading-space lines and masks secrets', () => {
    expect(filterHistoryLine(' secret')).to.equal(undefined);
    expect(filterHistoryLine('@* export API_TOKEN=abc')).to.equal('@* export API_TOKEN=***');
    expect(filterHistoryLine('!mysql --password hunter2 -e x')).to.equal("!mysql --password '***' -e x");
    expect(filterHistoryLine('@* echo AKIAABCDEFGHIJKLMNOP')).to.equal('@* echo AKIA****************');
    expect(filterHistoryLine('show worker*')).to.equal('show worker*');
  });
  it('masks only the secret value, never the words around it, and keeps the line runnable', () => {
    const kept = (line: string) => expect(filterHistoryLine(line), line).to.equal(line);
    const masked = (line: string, want: string) => expect(filterHistoryLine(line), line).to.equal(want);
    // words that merely mention secrets are not secrets
    kept('@* echo "reset password for user alice"');
    kept('@* passwd alice');
    kept('!grep -i token app.log | wc -l');
    kept('@* aws secretsmanager get-secret-value --secret-id prod/db');
    kept('@* export TOKEN_FILE=/run/secrets/token; cat "$TOKEN_FILE"');
    kept('@* export API_TOKEN=$VAULT_TOKEN');
    kept('@* export GITHUB_TOKEN="$(pass show gh)"');
    // the value goes, the separators stay
    masked('@* export AWS_SECRET_ACCESS_KEY=abcd; echo set', '@* export AWS_SECRET_ACCESS_KEY=***; echo set');
    masked('@* DB_PASSWORD=hunter2 ./migrate && echo ok', '@* DB_PASSWORD=*** ./migrate && echo ok');
    masked("@* export PGPASSWORD='p a s s'; psql", "@* export PGPASSWORD='***'; psql");
    masked('@* export PGPASSWORD="p a s s" X=1', '@* export PGPASSWORD="***" X=1');
    masked('!app --api-key=k3y --verbose', '!app --api-key=*** --verbose');
    masked('!vault login --token s.abc123 -method=token', "!vault login --token '***' -method=token");
    masked('@* mysql -u root -phunter2 -e "show databases"', '@* mysql -u root -p\'***\' -e "show databases"');
    masked('!sshpass -p hunter2 ssh host', "!sshpass -p '***' ssh host");
    masked("!curl -u alice:hunter2 https://x/y", "!curl -u alice:*** https://x/y");
    masked('!git clone https://alice:ghp_abc@github.example/r.git', '!git clone https://alice:***@github.example/r.git');
    masked('!curl -H "Authorization: Bearer eyJhbGciOi.x.y" https://x', '!curl -H "Authorization: Bearer ***" https://x');
    masked(`!curl -d '{"user":"a","password":"hunter2"}' https://x`, `!curl -d '{"user":"a","password":"***"}' https://x`);
  });
  it('keeps a line out of history rather than store it with its structure changed', async () => {
    const { sameShellStructure } = await import('../../src/shell/history-filter.js');
    expect(sameShellStructure('a=1; b "c|d"', 'a=***; b "***"')).to.equal(true);
    expect(sameShellStructure('a=1; b', 'a=*** b')).to.equal(false);
    expect(sameShellStructure("echo 'x", "echo 'x'")).to.equal(false);
  });
  it('while a node waits at a password prompt, keeps no @target answer line (it may be the password)', () => {
    expect(filterHistoryLine('@worker* hunter2', { answeringSecret: true })).to.equal(undefined);
    expect(filterHistoryLine('@worker*', { answeringSecret: true }), 'reading it without echo is fine').to.equal('@worker*');
    expect(filterHistoryLine('show worker*', { answeringSecret: true })).to.equal('show worker*');
    expect(filterHistoryLine('@worker* hunter2', { answeringSecret: false })).to.equal('@worker* hunter2');
  });
});

describe('inventory: login rules, sorting, indexes', () => {
  const config = validateConfig({
    nodes: [
      { name: 'worker[1-10]', host: '10.0.0.[1-10]', tags: { role: 'compute' } },
      { name: 'db1', host: '10.0.1.1', port: 2200, cluster: 'data' },
      { name: 'free', host: '10.0.9.9' },
    ],
    logins: [
      { selector: 'worker[1-2]', user: 'first', cluster: 'hpc' },
      { selector: 'tags=role:compute', user: 'ubuntu', identityFile: '/k', cluster: 'hpc', port: 2222 },
      { selector: '*', user: 'admin', port: 2022 },
    ],
  }, 'test.yaml');

  it('applies the first matching rule, keeps what a node says itself, sorts naturally and indexes 1..N', async () => {
    const inv = new Inventory([new StaticProvider(config.nodes, 'test.yaml')], config.logins);
    const nodes = await inv.nodes();
    expect(nodes.map((n) => n.name)).to.deep.equal(['db1', ...Array.from({ length: 10 }, (_, i) => `worker${i + 1}`), 'free']);
    expect(nodes.map((n) => n.index)).to.deep.equal(Array.from({ length: 12 }, (_, i) => i + 1));
    const byName = new Map(nodes.map((n) => [n.name, n]));
    expect(byName.get('worker1')!.user).to.equal('first');
    expect(byName.get('worker1')!.port).to.equal(22);
    expect(byName.get('worker3')!.user).to.equal('ubuntu');
    expect(byName.get('worker3')!.port).to.equal(2222);
    expect(byName.get('worker3')!.identityFile).to.equal('/k');
    expect(byName.get('db1')!.port).to.equal(2200); // the node's own port beats the rule
    expect(byName.get('db1')!.cluster).to.equal('data');
    expect(byName.get('free')!.user).to.equal('admin');
    expect(byName.get('free')!.cluster).to.equal(undefined);
  });

  it('a new rule takes effect on the next read, without a refresh', async () => {
    const inv = new Inventory([new StaticProvider(config.nodes, 'test.yaml')], []);
    expect((await inv.nodes()).find((n) => n.name === 'free')!.user).to.equal(undefined);
    inv.setRules([{ selector: 'free', user: 'late' }]);
    expect((await inv.nodes()).find((n) => n.name === 'free')!.user).to.equal('late');
  });

  it('a failing provider does not hide the others', async () => {
    const broken = { name: 'ec2', list: () => Promise.reject(new Error('no credentials')) };
    const inv = new Inventory([new StaticProvider(config.nodes, 'test.yaml'), broken], []);
    const snap = await inv.snapshot();
    expect(snap.nodes).to.have.length(12);
    expect(snap.failures.map((f) => f.provider)).to.deep.equal(['ec2']);
  });

  it('natural compare orders numbers numerically', () => {
    expect(['n10', 'n2', 'n1', 'a'].sort(naturalCompare)).to.deep.equal(['a', 'n1', 'n2', 'n10']);
  });
});

describe('terminal output above the prompt', () => {
  it('clears the prompt line, prints, then redraws the prompt and typed text', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    let written = '';
    stream.on('data', (d: Buffer) => { written += d.toString(); });
    const out = new TerminalOutput(stream, stream, { color: false });
    let redraws = 0;
    out.attachPrompt({ isShowing: () => true, erase: () => stream.write('<erase>'), redraw: () => { redraws++; stream.write('[dust]$ half-typ'); } });
    out.print('[worker0] done');
    expect(written).to.equal('<erase>[worker0] done\n[dust]$ half-typ');
    expect(redraws).to.equal(1);
  });

  it('cuts a status line to the terminal width, so redrawing it erases all of it', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 40 });
    let written = '';
    stream.on('data', (d: Buffer) => { written += d.toString(); });
    const out = new TerminalOutput(stream, stream, { color: false, env: {} });
    const p = out.progress(`0/1000 done · 1000 connecting · waiting for ${'node1,'.repeat(50)}`);
    p.update('short');
    p.done();
    const drawn = written.split('\r\x1b[2K').filter(Boolean);
    expect(drawn).to.deep.equal(['0/1000 done · 1000 connecting · waitin…', 'short']);
    expect(drawn[0]).to.have.length(39);
  });

  it('writes plain lines when not on a terminal', () => {
    const stream = new PassThrough();
    let written = '';
    stream.on('data', (d: Buffer) => { written += d.toString(); });
    const out = new TerminalOutput(stream, stream, { color: false });
    out.attachPrompt({ isShowing: () => true, erase: () => stream.write('ERASE'), redraw: () => stream.write('PROMPT') });
    out.print('a');
    out.progress('x').done();
    expect(written).to.equal('a\n');
  });

  it('--json: records alone on stdout, every human line on stderr, no progress drawn', () => {
    const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    const stderr = new PassThrough();
    let out1 = '', err1 = '';
    stdout.on('data', (d: Buffer) => { out1 += d.toString(); });
    stderr.on('data', (d: Buffer) => { err1 += d.toString(); });
    const out = new TerminalOutput(stdout, stderr, { color: false, json: true });
    const p = out.progress('running on 3');
    out.print('[w0] line');
    out.info('info');
    out.table(['a'], [['1']]);
    out.record({ type: 'result', node: 'w0', output: ['x "y"'] });
    p.done();
    expect(out1).to.equal('{"type":"result","node":"w0","output":["x \\"y\\""]}\n');
    expect(err1).to.include('[w0] line\ninfo\n').and.include('│ a │');
    const plain = new TerminalOutput(stdout, stderr, { color: false });
    plain.record({ ignored: true });
    expect(out1.split('\n').filter(Boolean)).to.have.length(1);
  });
});

describe('terminal output on a dumb terminal, and JSON records', () => {
  it('TERM=dumb: no progress line and no line erasing, the text goes below the prompt', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    let written = '';
    stream.on('data', (d: Buffer) => { written += d.toString(); });
    const out = new TerminalOutput(stream, stream, { color: false, env: { TERM: 'dumb' } });
    const p = out.progress('running on 3');
    p.update('running on 3: 1 done');
    p.done('all done');
    out.attachPrompt({ isShowing: () => true, erase: () => stream.write('<erase>'), redraw: () => stream.write('[dust]$ ') });
    out.print('[worker0] late line');
    expect(written).to.equal('all done\n\n[worker0] late line\n[dust]$ ');
    expect(written).to.not.include('\x1b');
  });

  it('strips terminal escape sequences from every string in a record', () => {
    const stdout = new PassThrough();
    let written = '';
    stdout.on('data', (d: Buffer) => { written += d.toString(); });
    const out = new TerminalOutput(stdout, new PassThrough(), { color: false, json: true });
    out.record({ type: 'result', output: ['\x1b[01;31mred\x1b[0m', 'plain', '\x1b]0;title\x07\x1b(B\x1b[mx'], nested: { s: '\x1b[1mbold\x1b[22m' }, n: 3 });
    expect(JSON.parse(written)).to.deep.equal({ type: 'result', output: ['red', 'plain', 'x'], nested: { s: 'bold' }, n: 3 });
  });
});

describe('event bus', () => {
  it('isolates a throwing handler and reports it with the plugin name', async () => {
    const reports: string[] = [];
    const bus = new EventBus((plugin, event, err) => reports.push(`${plugin}:${event}:${(err as Error).message}`));
    const seen: string[] = [];
    bus.on('node:lost', 'bad', () => { throw new Error('boom'); });
    bus.on('node:lost', 'good', (p) => { seen.push(p.reason); });
    await bus.emit('node:lost', { node: {} as never, reason: 'eof' });
    expect(seen).to.deep.equal(['eof']);
    expect(reports).to.deep.equal(['bad:node:lost:boom']);
  });
});
