/**
 * `cluster submit` over a real sshd (test/harness): the archive travels over the session's SFTP channel, is
 * unpacked by the head's tar, and the job runs in the head's persistent shell; detached jobs run under nohup and
 * outlive the session.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { followSubmission, submit, type SubmitResult } from '../../src/clusters/submit.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { isDustError } from '../../src/errors/dust-error.js';
import { eventually, useSessionCluster } from '../ssh-sessions/helpers.js';

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-submit-test-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe('cluster submit (real sshd)', function () {
  this.timeout(90_000);
  const f = useSessionCluster({ count: 1 });
  const head = () => f.nodes[0]!;
  const homeOf = () => f.cluster.node('node0').homeDir;
  let dir: string;
  beforeEach(() => {
    dir = project({ 'train.py': 'print("hi")\n', 'data/input.txt': 'payload\n', '.gitignore': '*.log\n', 'noise.log': 'x' });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('copies the directory into ~/dust-submits/<id>/, runs the command there with live output, and returns its exit status', async () => {
    const lines: string[] = [];
    const progress: string[] = [];
    const result = await submit({ sessions: f.sm, onLine: (l) => lines.push(l), onProgress: (m) => progress.push(m), now: () => new Date('2025-03-14T10:15:02Z') },
      head(), dir, 'pwd; ls -A1; cat data/input.txt; echo "id=$DUST_SUBMIT_ID"; cd /; exit 3');
    expect(result.status).to.equal('failed');
    expect(result.exitCode).to.equal(3);
    expect(result.id).to.match(/^20250314-101502-[0-9a-f]{6}$/);
    expect(result.dir).to.equal(path.join(fs.realpathSync(homeOf()), 'dust-submits', result.id));
    expect(lines).to.deep.equal([result.dir, '.gitignore', 'data', 'train.py', 'payload', `id=${result.id}`]);
    expect(result.files).to.equal(3);
    expect(progress[0]).to.match(/^archived 3 files \(\d+ B\)$/);
    expect(progress[1]).to.equal(`copied to node0:${result.dir}`);
    // The archive is gone, and the shell the user types into is where it was.
    expect(fs.readdirSync(path.join(homeOf(), 'dust-submits'))).to.not.include(`${result.id}.tar.gz`);
    const [pwd] = await f.sm.run([head()], 'pwd');
    expect(pwd?.output).to.deep.equal([homeOf()]);
    expect((await submit({ sessions: f.sm }, head(), dir, 'python3 -c "import sys; sys.exit(0)" || true')).status).to.equal('ok');
  });

  it('--detach starts the job under nohup with its output in run.log, which survives the session; follow streams it and ends with its status', async () => {
    const result = await submit({ sessions: f.sm }, head(), dir, 'echo started; while [ ! -e go ]; do sleep 0.2; done; echo finished; exit 4', { detach: true });
    expect(result).to.include({ status: 'detached', exitCode: null, log: `${result.dir}/run.log` });
    expect(result.pid).to.be.a('number');
    // The session goes away (as when dust exits): the job carries on.
    await f.sm.close(head());
    fs.writeFileSync(path.join(result.dir, 'go'), '');
    const lines: string[] = [];
    const followed = await followSubmission({ sessions: f.sm, onLine: (l) => lines.push(l) }, head(), result.dir);
    expect(followed).to.include({ status: 'failed', exitCode: 4 });
    expect(lines).to.deep.equal(['started', 'finished']);
    // What `get head <dir>/run.log` fetches: the file over the session's file channel.
    const files = await f.sm.files(head());
    const chunks: Buffer[] = [];
    for await (const c of files.read(result.log!) as AsyncIterable<Buffer>) chunks.push(c);
    expect(Buffer.concat(chunks).toString()).to.equal('started\nfinished\n');
  });

  it('Ctrl-C while following stops following, not the job; Ctrl-C on an attached job interrupts it', async () => {
    const detached: SubmitResult = await submit({ sessions: f.sm }, head(), dir, 'echo waiting; while [ ! -e go ]; do sleep 0.2; done; echo done', { detach: true });
    const stop = new AbortController();
    const lines: string[] = [];
    const following = followSubmission({ sessions: f.sm, signal: stop.signal, onLine: (l) => { lines.push(l); stop.abort(); } }, head(), detached.dir);
    expect((await following).status).to.equal('interrupted');
    expect(lines[0]).to.equal('waiting');
    fs.writeFileSync(path.join(detached.dir, 'go'), '');
    await eventually(() => fs.existsSync(path.join(detached.dir, 'run.exit')), 'the job to finish');
    expect(fs.readFileSync(path.join(detached.dir, 'run.log'), 'utf8')).to.equal('waiting\ndone\n');
    expect(fs.readFileSync(path.join(detached.dir, 'run.exit'), 'utf8')).to.equal('0\n');

    const ctrlC = new AbortController();
    const attached = await submit({ sessions: f.sm, signal: ctrlC.signal, onLine: () => ctrlC.abort() }, head(), dir, 'echo running; sleep 30');
    expect(attached.status).to.equal('interrupted');
    const [after] = await f.sm.run([head()], 'echo still here');
    expect(after?.output).to.deep.equal(['still here']);
  });

  it('refuses an empty command, and says when the head cannot unpack', async () => {
    try {
      await submit({ sessions: f.sm }, head(), dir, '  ');
      expect.fail('expected a refusal');
    } catch (err) {
      expect(isDustError(err) && err.code).to.equal(ErrorCodes.ClusterSubmit);
      expect((err as Error).message).to.equal('cluster submit: no command to run');
    }
    // A head whose tar is broken: the failing step and tar's own words.
    const bin = path.join(homeOf(), 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'tar'), '#!/bin/sh\necho "tar: simulated failure" >&2\nexit 2\n', { mode: 0o755 });
    await f.sm.run([head()], `PATH=${bin}:$PATH`);
    try {
      await submit({ sessions: f.sm }, head(), dir, 'true');
      expect.fail('expected a refusal');
    } catch (err) {
      expect(isDustError(err) && err.code).to.equal(ErrorCodes.ClusterSubmit);
      expect((err as Error).message).to.equal('cluster submit: unpacking on node0: exit 2: tar: simulated failure');
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
      await f.sm.close(head());
    }
  });
});
