/**
 * The archive `cluster submit` sends: real files in a temp directory, archived by node-tar, listed back by the
 * system tar (what a head would unpack it with).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createSubmitArchive, listSubmitEntries } from '../../src/clusters/submit-archive.js';
import { isDustError } from '../../src/errors/dust-error.js';
import { ErrorCodes } from '../../src/errors/codes.js';

function tree(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const full = path.join(root, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    if (rel.endsWith('/')) fs.mkdirSync(full, { recursive: true });
    else fs.writeFileSync(full, text);
  }
}

describe('cluster submit: the archive', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-archive-test-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('honours .gitignore files per directory, negation, directory patterns, and always skips .git', () => {
    tree(dir, {
      '.gitignore': 'node_modules/\n*.log\n/build\n!keep.log\n',
      '.git/HEAD': 'ref: refs/heads/main\n',
      'train.py': 'print(1)\n',
      'debug.log': 'x',
      'keep.log': 'kept',
      'build/out.bin': 'x',
      'node_modules/a/index.js': 'x',
      'src/build/generated.py': 'not anchored at src: kept',
      'src/.gitignore': '*.tmp\n!important.tmp\n',
      'src/a.tmp': 'x',
      'src/important.tmp': 'kept',
      'src/lib/b.tmp': 'x',
      'src/lib/c.py': 'x',
      'empty/': '',
    });
    expect(listSubmitEntries(dir)).to.deep.equal([
      '.gitignore', 'empty', 'keep.log', 'src', 'src/.gitignore', 'src/build', 'src/build/generated.py',
      'src/important.tmp', 'src/lib', 'src/lib/c.py', 'train.py',
    ]);
  });

  it('.dustignore adds excludes and can take back what .gitignore excludes', () => {
    tree(dir, {
      '.gitignore': 'data/\n',
      '.dustignore': '!data/\n*.ckpt\n',
      'data/input.csv': '1,2\n',
      'model.ckpt': 'big',
      'run.sh': 'echo hi\n',
      'sub/.git': 'gitdir: /elsewhere\n', // a worktree's .git file is skipped too
      'sub/x.txt': 'x',
    });
    expect(listSubmitEntries(dir)).to.deep.equal(['.dustignore', '.gitignore', 'data', 'data/input.csv', 'run.sh', 'sub', 'sub/x.txt']);
  });

  it('nothing inside an excluded directory comes back (as in git)', () => {
    tree(dir, { '.gitignore': 'out/\n!out/keep.txt\n', 'out/keep.txt': 'x', 'a.txt': 'a' });
    expect(listSubmitEntries(dir)).to.deep.equal(['.gitignore', 'a.txt']);
  });

  it('writes a gzip tar the system tar reads: contents, modes and symlinks intact, no local owner names', async () => {
    tree(dir, { 'run.sh': '#!/bin/sh\necho hi\n', 'data/x.txt': 'payload\n', '.gitignore': '*.pyc\n', 'a.pyc': 'x' });
    fs.chmodSync(path.join(dir, 'run.sh'), 0o755);
    fs.symlinkSync('data/x.txt', path.join(dir, 'link'));
    const archive = await createSubmitArchive(dir);
    try {
      expect(archive.files).to.equal(3);
      expect(archive.entries).to.deep.equal(['.gitignore', 'data', 'data/x.txt', 'link', 'run.sh']);
      expect(archive.bytes).to.equal(fs.statSync(archive.file).size);
      const listing = execFileSync('tar', ['-tvzf', archive.file], { encoding: 'utf8' });
      expect(listing).to.not.contain(os.userInfo().username === 'root' ? ' root/root ' : os.userInfo().username);
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-archive-out-'));
      try {
        execFileSync('tar', ['-xzf', archive.file, '-C', out]);
        expect(fs.readFileSync(path.join(out, 'data/x.txt'), 'utf8')).to.equal('payload\n');
        expect(fs.statSync(path.join(out, 'run.sh')).mode & 0o777).to.equal(0o755);
        expect(fs.readlinkSync(path.join(out, 'link'))).to.equal('data/x.txt');
        expect(fs.existsSync(path.join(out, 'a.pyc'))).to.equal(false);
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    } finally {
      await archive.cleanup();
    }
    expect(fs.existsSync(archive.file)).to.equal(false);
  });

  it('a missing directory or a file is one DustError line', async () => {
    for (const [target, text] of [[path.join(dir, 'nope'), /no such directory/], [path.join(dir, 'f'), /is not a directory/]] as const) {
      if (target.endsWith('f')) fs.writeFileSync(target, 'x');
      try {
        await createSubmitArchive(target);
        expect.fail('expected a refusal');
      } catch (err) {
        expect(isDustError(err)).to.equal(true);
        expect((err as Error).message).to.match(text);
        expect((err as { code: string }).code).to.equal(ErrorCodes.ClusterSubmit);
      }
    }
  });
});
