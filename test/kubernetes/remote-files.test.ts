import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { expect } from 'chai';
import { isDustError, type DustError } from '../../src/errors/dust-error.js';
import type { KubernetesIntegration } from '../../src/kubernetes/integration.js';
import { parseListing, touchStamp } from '../../src/kubernetes/remote-files.js';
import { downloadFile, uploadFile } from '../../src/files/copy-file.js';
import type { RemoteFiles } from '../../src/sessions/transport.js';
import { asNode, kubeFixture, type KubeFixture, rejection } from './helpers.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

async function writeRemote(files: RemoteFiles, p: string, data: Buffer | string, mode?: number): Promise<void> {
  const { stream, done } = files.write(p, mode === undefined ? {} : { mode });
  stream.on('error', () => {});
  stream.end(data);
  await done;
}

describe('kubernetes transport: files over exec', function () {
  let f: KubeFixture;
  let k: KubernetesIntegration;
  let files: RemoteFiles;
  let home: string;

  beforeEach(async () => {
    f = await kubeFixture();
    f.emulator.core.seedPods([{ name: 'web-0' }]);
    k = await f.integration();
    const draft = (await k.provider.list()).find((d) => d.name === 'web-0');
    files = await k.transport.files(asNode(draft!));
    home = f.emulator.core.sandboxOf('default', 'web-0')!.home;
  });
  afterEach(async () => {
    await f.close();
  });

  it('knows the home directory and resolves ~ and relative paths against it', async () => {
    expect(await files.home()).to.equal(home);
    writeFileSync(path.join(home, 'a.txt'), 'abc');
    expect((await files.stat('a.txt'))?.size).to.equal(3);
    expect((await files.stat('~/a.txt'))?.size).to.equal(3);
    expect((await files.stat(path.join(home, 'a.txt')))?.size).to.equal(3);
  });

  it('stats files, directories and symlinks (followed); undefined for a missing path', async () => {
    writeFileSync(path.join(home, 'f'), 'hello');
    chmodSync(path.join(home, 'f'), 0o640);
    mkdirSync(path.join(home, 'dir'), { mode: 0o750 });
    symlinkSync('f', path.join(home, 'link'));
    symlinkSync('nowhere', path.join(home, 'dangling'));
    const local = statSync(path.join(home, 'f'));
    expect(await files.stat('f')).to.deep.equal({ type: 'file', size: 5, mode: 0o640, mtime: Math.floor(local.mtimeMs / 1000), atime: Math.floor(local.atimeMs / 1000) });
    expect((await files.stat('dir'))?.type).to.equal('directory');
    expect((await files.stat('dir'))?.mode).to.equal(0o750);
    expect((await files.stat('link'))?.type).to.equal('file');
    expect(await files.stat('dangling')).to.equal(undefined);
    expect(await files.stat('missing')).to.equal(undefined);
  });

  it('lists a directory with odd names, symlinks as symlinks, hidden files, sorted', async () => {
    const dir = path.join(home, 'list');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'plain'), '12');
    writeFileSync(path.join(dir, 'with space'), '');
    writeFileSync(path.join(dir, 'new\nline'), '');
    writeFileSync(path.join(dir, '.hidden'), '');
    mkdirSync(path.join(dir, 'sub'));
    symlinkSync('plain', path.join(dir, 'ln'));
    const entries = await files.list('list');
    expect(entries.map((e) => e.name)).to.deep.equal(['.hidden', 'ln', 'new\nline', 'plain', 'sub', 'with space']);
    const byName = Object.fromEntries(entries.map((e) => [e.name, e.stat]));
    expect(byName['plain']).to.include({ type: 'file', size: 2 });
    expect(byName['sub']?.type).to.equal('directory');
    expect(byName['ln']?.type).to.equal('symlink');
    const err = await rejection(files.list('no-such-dir'));
    expect(err.code).to.equal('DUST_KUBE_FILE');
    expect(err.message).to.match(/^pod default\/web-0: cannot list .*no-such-dir/);
  });

  it('lists with one stat per entry where find has no -printf (busybox)', async () => {
    const bin = f.emulator.core.sandboxOf('default', 'web-0')!.bin;
    writeFileSync(path.join(bin, 'find'), '#!/bin/sh\necho "find: unrecognized: -printf" >&2\nexit 1\n', { mode: 0o755 });
    const dir = path.join(home, 'bb');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'one'), '1');
    writeFileSync(path.join(dir, 'two words'), '22');
    symlinkSync('one', path.join(dir, 'ln'));
    const entries = await files.list('bb');
    expect(entries.map((e) => [e.name, e.stat.type, e.stat.size])).to.deep.equal([['ln', 'symlink', 3], ['one', 'file', 1], ['two words', 'file', 2]]);
  });

  it('creates directories with a mode, accepts an existing one, and names a missing parent', async () => {
    await files.mkdir('made', 0o711);
    expect(statSync(path.join(home, 'made')).mode & 0o777).to.equal(0o711);
    await files.mkdir('made');
    const err = await rejection(files.mkdir('no/parent'));
    expect(err.code).to.equal('DUST_KUBE_FILE');
    expect(err.message).to.include('No such file or directory');
  });

  it('writes a file through a temporary name (new: the mode asked; existing: its own mode) and reads it back intact', async () => {
    const data = randomBytes(2 * 1024 * 1024 + 17);
    await writeRemote(files, 'blob.bin', data, 0o600);
    expect(readFileSync(path.join(home, 'blob.bin')).equals(data)).to.equal(true);
    expect(statSync(path.join(home, 'blob.bin')).mode & 0o777).to.equal(0o600);
    expect(readdirSync(home).filter((n) => n.includes('.dust-'))).to.deep.equal([]);
    expect((await readAll(files.read('blob.bin'))).equals(data)).to.equal(true);
    chmodSync(path.join(home, 'blob.bin'), 0o644);
    await writeRemote(files, 'blob.bin', 'replaced', 0o600);
    expect(readFileSync(path.join(home, 'blob.bin'), 'utf8')).to.equal('replaced');
    expect(statSync(path.join(home, 'blob.bin')).mode & 0o777).to.equal(0o644);
  });

  for (const runtime of ['hangs up on the command', 'only closes its stdin, as a kubelet does'] as const) {
    it(`leaves the old file alone when a write is abandoned half-way, and no temporary file behind (the runtime ${runtime})`, async () => {
      if (runtime !== 'hangs up on the command') f.emulator.core.keepCommandsOnDisconnect('default', 'web-0');
      writeFileSync(path.join(home, 'keep'), 'original');
      const { stream, done } = files.write('keep');
      stream.on('error', () => {});
      await new Promise<void>((resolve) => stream.write(Buffer.alloc(64 * 1024, 1), () => resolve()));
      (stream as Writable).destroy(new Error('the local file could not be read'));
      expect((await done.then(() => undefined, (err: unknown) => err as Error))?.message).to.equal('the local file could not be read');
      // `done` settles after the clean-up; give a command the runtime left running time to do harm.
      expect(readdirSync(home).filter((n) => n.includes('.dust-'))).to.deep.equal([]);
      await new Promise((r) => setTimeout(r, 200));
      expect(readFileSync(path.join(home, 'keep'), 'utf8')).to.equal('original');
      expect(readdirSync(home).filter((n) => n.includes('.dust-'))).to.deep.equal([]);
    });
  }

  it('refuses to write onto a directory or into a missing one, naming the path', async () => {
    mkdirSync(path.join(home, 'adir'));
    const onto = await rejection(writeRemote(files, 'adir', 'x'));
    expect(onto.code).to.equal('DUST_KUBE_FILE');
    expect(onto.message).to.match(/cannot write .*adir: .*adir: Is a directory$/);
    expect(readdirSync(path.join(home, 'adir'))).to.deep.equal([]);
    const missing = await rejection(writeRemote(files, 'no/such/dir/file', 'x'));
    expect(missing.code).to.equal('DUST_KUBE_FILE');
    expect(missing.message).to.match(/^pod default\/web-0: cannot write .*no\/such\/dir\/file: /);
  });

  it('fails a read of a missing file with the container\'s message', async () => {
    const stream = files.read('absent.txt');
    let caught: unknown;
    try {
      await readAll(stream);
    } catch (err) {
      caught = err;
    }
    expect(isDustError(caught)).to.equal(true);
    expect((caught as DustError).code).to.equal('DUST_KUBE_FILE');
    expect((caught as DustError).message).to.match(/cannot read .*absent\.txt: cat: .*No such file or directory/);
  });

  it('sets permission bits and times (UTC, whole seconds)', async () => {
    writeFileSync(path.join(home, 't'), 'x');
    await files.setAttributes('t', { mode: 0o604, mtime: 1_700_000_123, atime: 1_600_000_456 });
    const st = lstatSync(path.join(home, 't'));
    expect(st.mode & 0o777).to.equal(0o604);
    expect(Math.floor(st.mtimeMs / 1000)).to.equal(1_700_000_123);
    expect(Math.floor(st.atimeMs / 1000)).to.equal(1_600_000_456);
    expect(existsSync(path.join(home, 'never'))).to.equal(false);
    await files.setAttributes('never', { mtime: 1_700_000_000 });
    expect(existsSync(path.join(home, 'never')), 'touch -c creates nothing').to.equal(false);
  });

  it('carries put and get (src/files/copy-file.ts) with progress', async () => {
    const local = path.join(f.dir, 'local.bin');
    const data = randomBytes(300_000);
    writeFileSync(local, data);
    let up = 0;
    await uploadFile(files, local, 'uploaded.bin', { onBytes: (n) => (up += n), mode: 0o640 });
    expect(up).to.equal(data.length);
    expect(readFileSync(path.join(home, 'uploaded.bin')).equals(data)).to.equal(true);
    expect(statSync(path.join(home, 'uploaded.bin')).mode & 0o777).to.equal(0o640);
    const back = path.join(f.dir, 'back.bin');
    let down = 0;
    await downloadFile(files, 'uploaded.bin', back, { onBytes: (n) => (down += n) });
    expect(down).to.equal(data.length);
    expect(readFileSync(back).equals(data)).to.equal(true);
    const missing = await downloadFile(files, 'nope.bin', path.join(f.dir, 'nope.bin')).then(() => undefined, (err: unknown) => err as DustError);
    expect(missing?.code).to.equal('DUST_KUBE_FILE');
    expect(existsSync(path.join(f.dir, 'nope.bin'))).to.equal(false);
  });

  it('passes paths as arguments: shell syntax in a name is just a name', async () => {
    const name = '$(touch pwned); `id` \'quoted\' "x" *';
    await writeRemote(files, name, 'safe');
    expect(readFileSync(path.join(home, name), 'utf8')).to.equal('safe');
    expect(existsSync(path.join(home, 'pwned'))).to.equal(false);
    expect((await files.list('.')).map((e) => e.name)).to.include(name);
  });
});

describe('kubernetes remote files: parsing', () => {
  it('touchStamp formats UTC for touch -t', () => {
    expect(touchStamp(0)).to.equal('197001010000.00');
    expect(touchStamp(1_700_000_123.9)).to.equal('202311142215.23');
  });

  it('parseListing reads both record kinds and skips . and ..', () => {
    const out = Buffer.from('a\0F f 644 3 1700000000.5 1700000001.25\0b\0S 41ed 4096 10 20\0.\0F d 755 0 0 0\0');
    expect(parseListing(out)).to.deep.equal([
      { name: 'a', stat: { type: 'file', mode: 0o644, size: 3, mtime: 1_700_000_000, atime: 1_700_000_001 } },
      { name: 'b', stat: { type: 'directory', mode: 0o755, size: 4096, mtime: 10, atime: 20 } },
    ]);
  });
});
