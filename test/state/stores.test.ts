import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import yaml from 'js-yaml';
import { JsonFileStore } from '../../src/state/json-store.js';
import { LoginRulesStore } from '../../src/inventory/login-rules-store.js';
import { HistoryFile } from '../../src/state/history-file.js';
import { withFileLock } from '../../src/state/file-lock.js';
import { isDustError } from '../../src/errors/dust-error.js';
import { makeTempHome } from '../helpers/temp-home.js';

const WRITER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'writer.ts');

/** A real second dust process writing into the same home (see fixtures/writer.ts). */
class Writer {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  stderr = '';

  constructor(home: string, kind: string, tag: string, count: number) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', WRITER, home, kind, tag, String(count)], { stdio: 'pipe' });
    this.proc.stderr.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    this.lines = readline.createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }

  async expect(word: string): Promise<void> {
    const next = await this.lines.next();
    expect(next.value, this.stderr).to.equal(word);
  }

  go(): void {
    this.proc.stdin.write('go\n');
  }
}

async function startAll(writers: Writer[]): Promise<void> {
  for (const w of writers) await w.expect('ready');
  for (const w of writers) w.go();
  for (const w of writers) await w.expect('done');
}

describe('state files that must not lose data', function () {
  this.timeout(60000);
  let tmp: ReturnType<typeof makeTempHome>;
  beforeEach(() => { tmp = makeTempHome(); });
  afterEach(() => tmp.cleanup());

  describe('per-plugin stores and annotations', () => {
    it('50 concurrent set() in one process all land (no shared temp file)', async () => {
      const store = JsonFileStore.forNamespace(tmp.home, 'many');
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.set(`k${i}`, i)));
      const onDisk = JSON.parse(fs.readFileSync(store.file, 'utf8')) as Record<string, number>;
      expect(Object.keys(onDisk)).to.have.length(50);
      expect(onDisk['k49']).to.equal(49);
      expect(fs.statSync(store.file).mode & 0o777).to.equal(0o600);
      expect(fs.readdirSync(path.dirname(store.file))).to.deep.equal(['many.json']);
    });

    it('three processes writing at once keep every key', async () => {
      const writers = ['a', 'b', 'c'].map((tag) => new Writer(tmp.home, 'store', tag, 40));
      await startAll(writers);
      const onDisk = JSON.parse(fs.readFileSync(path.join(tmp.home, 'state', 'shared.json'), 'utf8')) as Record<string, number>;
      expect(Object.keys(onDisk)).to.have.length(120);
    });

    it('a long-open store does not undo what another process wrote meanwhile, and reads it', async () => {
      const mine = JsonFileStore.forNamespace(tmp.home, 'shared');
      await mine.set('mine-0', 0);
      const other = new Writer(tmp.home, 'store', 'other', 3);
      await startAll([other]);
      expect(mine.get('other-2')).to.equal(2);
      await mine.set('mine-1', 1);
      const onDisk = JSON.parse(fs.readFileSync(mine.file, 'utf8')) as Record<string, number>;
      expect(onDisk).to.deep.equal({ 'mine-0': 0, 'mine-1': 1, 'other-0': 0, 'other-1': 1, 'other-2': 2 });
      expect(mine.keys()).to.have.length(5);
    });

    it('annotations of the same node from two processes are merged, not overwritten', async () => {
      const writers = ['x', 'y'].map((tag) => new Writer(tmp.home, 'annotate', tag, 20));
      await startAll(writers);
      const onDisk = JSON.parse(fs.readFileSync(path.join(tmp.home, 'state', 'annotations.json'), 'utf8')) as Record<string, Record<string, string>>;
      const keys = Object.values(onDisk).flatMap((r) => Object.keys(r));
      expect(keys).to.have.length(40);
    });

    it('refuses to overwrite a corrupt store file, and keeps it', async () => {
      const file = path.join(tmp.home, 'state', 'broken.json');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, '{"a": 1,');
      const store = new JsonFileStore(file);
      expect(store.get('a')).to.equal(undefined);
      const err = await store.set('b', 2).then(() => undefined, (e: unknown) => e);
      expect(isDustError(err) && err.code).to.equal('DUST_STATE_WRITE');
      expect(String((err as Error).message)).to.include(file);
      expect(fs.readFileSync(file, 'utf8')).to.equal('{"a": 1,');
    });
  });

  describe('the lock', () => {
    it('takes over a lock left by a process that died', async () => {
      const dead = spawn(process.execPath, ['-e', '0']);
      const pid = dead.pid!;
      await new Promise((r) => dead.on('exit', r));
      const store = JsonFileStore.forNamespace(tmp.home, 'stale');
      fs.mkdirSync(path.dirname(store.file), { recursive: true });
      fs.writeFileSync(`${store.file}.lock`, `${pid} ${(await import('node:os')).hostname()}\n`);
      await store.set('k', 'v');
      expect(store.get('k')).to.equal('v');
      expect(fs.existsSync(`${store.file}.lock`)).to.equal(false);
    });

    it('waits for a live holder, and says who holds it when it gives up', async () => {
      const file = path.join(tmp.home, 'held');
      fs.writeFileSync(`${file}.lock`, `${process.pid} ${(await import('node:os')).hostname()}\n`);
      const err = await withFileLock(file, () => Promise.resolve(), { timeoutMs: 100 }).then(() => undefined, (e: unknown) => e);
      expect(isDustError(err) && err.code).to.equal('DUST_STATE_WRITE');
      expect(String((err as Error).message)).to.include(`pid ${process.pid}`);
    });
  });

  describe('logins.yaml', () => {
    it('two processes assigning at once keep every rule', async () => {
      const writers = ['p', 'q'].map((tag) => new Writer(tmp.home, 'rules', tag, 15));
      await startAll(writers);
      const store = await LoginRulesStore.open(tmp.home);
      expect(store.problem).to.equal(undefined);
      expect(store.firstRules.length + store.lastRules.length).to.equal(30);
      expect(fs.statSync(store.file).mode & 0o777).to.equal(0o600);
    });

    it('an assign in a long-open shell keeps rules another process added meanwhile', async () => {
      const mine = await LoginRulesStore.open(tmp.home);
      await startAll([new Writer(tmp.home, 'rules', 'other', 2)]);
      await mine.add({ selector: 'mine', user: 'me' }, 'first');
      const data = yaml.load(fs.readFileSync(mine.file, 'utf8')) as { first: { selector: string }[]; last: { selector: string }[] };
      expect([...data.first, ...data.last].map((r) => r.selector).sort()).to.deep.equal(['mine', 'other-0', 'other-1']);
    });

    it('a corrupt file is reported in one line (file, line, reason), and never overwritten', async () => {
      const file = path.join(tmp.home, 'logins.yaml');
      const broken = 'first:\n  - selector: a\n   user: b\n';
      fs.writeFileSync(file, broken);
      const store = await LoginRulesStore.open(tmp.home);
      expect(store.problem?.message).to.equal(`${file}: line 3, column 4: bad indentation of a sequence entry`);
      expect(store.problem?.message).to.not.include('\n');
      const err = await store.add({ selector: 'x', user: 'y' }, 'first').then(() => undefined, (e: unknown) => e);
      expect(isDustError(err) && err.code).to.equal('DUST_STATE_WRITE');
      expect(fs.readFileSync(file, 'utf8')).to.equal(broken);
    });
  });

  describe('history', () => {
    it('two shells adding lines at once keep all of them, newest first', async () => {
      const writers = ['one', 'two'].map((tag) => new Writer(tmp.home, 'history', tag, 30));
      await startAll(writers);
      const entries = await new HistoryFile(path.join(tmp.home, 'history'), 5000, () => undefined).load();
      expect(entries).to.have.length(60);
      expect(entries.filter((e) => e.startsWith('one ')).reverse()).to.deep.equal(Array.from({ length: 30 }, (_, i) => `one ${i}`));
      expect(fs.statSync(path.join(tmp.home, 'history')).mode & 0o777).to.equal(0o600);
    });

    it('a burst of lines (a pasted script) is kept whole and in order, repeats of the newest skipped across batches', async () => {
      const file = path.join(tmp.home, 'history');
      fs.writeFileSync(file, 'x\nolder\n');
      const h = new HistoryFile(file, 5000, () => undefined);
      const burst = ['x', 'y', 'y', ...Array.from({ length: 3000 }, (_, i) => `line ${i}`)];
      for (const e of burst) h.add(e);
      await h.flush();
      h.add('line 2999'); // the newest again, in a later batch
      h.add('after');
      await h.flush();
      const entries = await h.load();
      expect(entries.slice(0, 3)).to.deep.equal(['after', 'line 2999', 'line 2998']);
      expect(entries.slice(-4)).to.deep.equal(['line 0', 'y', 'x', 'older']);
      expect(entries).to.have.length(3000 + 4);
    });

    it('keeps at most history.size entries and skips a repeat of the newest', async () => {
      const h = new HistoryFile(path.join(tmp.home, 'history'), 3, () => undefined);
      for (const e of ['a', 'b', 'b', 'c', 'd']) h.add(e);
      await h.flush();
      expect(await h.load()).to.deep.equal(['d', 'c', 'b']);
    });
  });
});
