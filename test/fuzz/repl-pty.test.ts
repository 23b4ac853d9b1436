/**
 * 10,000 random lines typed into the real REPL (`dust --demo` on a PTY): the shell never exits, never
 * prints a stack trace or "internal/unexpected error", and every error it prints is one DustError line.
 *
 * Safety (see repl-lines.ts): lines come from a grammar that never reaches a local shell and sends only
 * echo/printf/true/false with literal arguments to the demo's nodes (real shells on this machine). As a second
 * guard, dust runs with a PATH holding only `node`, and with a tripwire as its local shell (SHELL_FOR_DUST)
 * that records any call; the test fails if it was called at all. Everything dust writes goes to temporary
 * HOME, DUST_HOME and working directories.
 *
 * Lines are typed in batches of 100, as fast as a paste (dust keeps type-ahead); after each batch a
 * sentinel line (`show fuzzmark<n>`, which names no node) tells when the batch is done. `DUST_FUZZ_LINES`
 * changes the count, `DUST_FUZZ_SEED` the seed, `DUST_FUZZ_TRANSCRIPT=file` keeps all output.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { DUST_BIN, PtySession } from '../helpers/pty-driver.js';
import { isSafeLine, replLine } from './repl-lines.js';

const LINES = Number(process.env['DUST_FUZZ_LINES'] ?? '10000');
const SEED = Number(process.env['DUST_FUZZ_SEED'] ?? '5001');
const BATCH = 100;
/** `DUST_FUZZ_TRANSCRIPT=file` keeps everything dust printed, for reading after a failure. */
const TRANSCRIPT = process.env['DUST_FUZZ_TRANSCRIPT'];

/** What must never appear: crash reports, and error lines that are not one DustError. */
function problemsIn(text: string): string[] {
  const problems: string[] = [];
  if (/internal error|unexpected error/i.test(text)) problems.push('an internal/unexpected error was printed');
  const stack = /^\s+at .+:\d+:\d+\)?\s*$/m.exec(text);
  if (stack) problems.push(`a stack trace line: ${stack[0].trim()}`);
  for (const line of text.split(/\r\n|\r|\n/)) {
    const m = /(?:^|\$ )✖ (.*)$/.exec(line);
    if (!m) continue;
    const body = m[1] ?? '';
    // `@`/gather/put/get summaries (`✖ 2 failed: …`) are results, not errors.
    if (/^\d+ (failed|unreachable|waiting|interrupted)\b|^(put|get) failed on \d+/.test(body)) continue;
    if (!/\[DUST_[A-Z0-9_]+\]\s*$/.test(body)) problems.push(`an error line without its code: ${line.trim()}`);
  }
  return problems;
}

describe('fuzz: 10,000 random lines typed into the REPL on the demo (real PTY)', function () {
  this.timeout(240000);
  let root: string;
  let dust: PtySession | undefined;

  before(function () {
    if (!fs.existsSync(DUST_BIN)) {
      console.log('    (dist/ is not built: run npm run build first)');
      this.skip();
    }
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-fuzz-'));
  });
  after(() => {
    dust?.kill();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('the shell survives, and says every problem in one DustError line', async () => {
    const lines = fc.sample(replLine, { seed: SEED, numRuns: LINES });
    const unsafe = lines.filter((l) => !isSafeLine(l));
    expect(unsafe, 'generated lines that could reach a local shell or run more than echo/printf remotely').to.deep.equal([]);

    const home = path.join(root, 'home');
    const work = path.join(root, 'work');
    const bin = path.join(root, 'bin');
    const tripwireLog = path.join(root, 'tripwire.log');
    for (const d of [home, work, bin, path.join(work, 'fetched')]) fs.mkdirSync(d, { recursive: true });
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const tripwire = path.join(root, 'tripwire.sh');
    fs.writeFileSync(tripwire, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${tripwireLog}'\nexit 1\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(work, 'notes.txt'), 'notes\n');
    fs.writeFileSync(path.join(work, 'data.csv'), 'a,b\n1,2\n');

    dust = new PtySession(['--demo'], {
      // The demo's instances start and stop in 3 s (a tour shows the waits); a hundred `cluster up`s need not.
      HOME: home, DUST_HOME: home, PATH: bin, SHELL_FOR_DUST: tripwire, LANG: 'C.UTF-8', DUST_DEMO_PACE_MS: '100',
    }, { cols: 400, rows: 50, cwd: work });
    await dust.waitFor('[us-east-1]$ ', { timeoutMs: 60000 });
    // Host lists by ADDRESS only: a name missing from the inventory (another region) would become a node
    // reached through DNS, and nothing here may leave loopback. Plus hosts where nothing listens.
    const demo = JSON.parse(fs.readFileSync(path.join(home, 'demo', 'nodes.json'), 'utf8')) as { nodes: Record<string, { host: string; port: number }> };
    const at = (name: string): string => `${demo.nodes[name]?.host ?? '127.0.0.1'}:${demo.nodes[name]?.port ?? 1}`;
    fs.writeFileSync(path.join(work, 'hosts.txt'), `# fuzz\n${at('worker0')}\n${at('web1')}\nfuzz@127.0.0.250:1\n127.0.0.251:2\n`);
    fs.writeFileSync(path.join(work, 'down.txt'), `${at('worker1')}\n`);
    for (const line of fs.readFileSync(path.join(work, 'hosts.txt'), 'utf8').split('\n')) {
      if (line !== '' && !line.startsWith('#')) expect(line, 'host lists stay on loopback').to.match(/^(\w+@)?127\.\d+\.\d+\.\d+:\d+$/);
    }

    const tripped = (): string => (fs.existsSync(tripwireLog) ? fs.readFileSync(tripwireLog, 'utf8') : '');
    for (let start = 0; start < lines.length; start += BATCH) {
      const batch = lines.slice(start, start + BATCH);
      const what = (problem: string): string => `${problem}\nafter lines ${start}..${start + batch.length - 1}:\n${batch.join('\n')}`;
      const from = dust.mark();
      // The batch, then a sentinel that says when dust has worked through it (no line asks a question, so
      // none can swallow it; a sentinel that never comes means lines were lost or dust hung).
      const id = `fuzzmark${start}`;
      dust.write(`${batch.join('\r')}\rshow ${id}\r`);
      try {
        // The whole sentinel line, code included: checking a line that is still arriving would call it uncoded.
        await dust.waitFor(new RegExp(`no node matches '${id}'.*\\[DUST_[A-Z0-9_]+\\]`), { from, timeoutMs: 60000 });
      } catch (err) {
        if (TRANSCRIPT) fs.appendFileSync(TRANSCRIPT, `\n===== FAILED at lines ${start}..\n${dust.since(from)}`);
        throw new Error(what(`${String(err).split('\n')[0] ?? ''}\n--- last output ---\n${dust.since(from).slice(-3000)}`));
      }
      const output = dust.since(from);
      if (TRANSCRIPT) fs.appendFileSync(TRANSCRIPT, `\n===== lines ${start}.. (${new Date().toISOString()})\n${output}`);
      const problems = problemsIn(output);
      if (tripped() !== '') problems.push(`the local shell was started with: ${tripped()}`);
      if (problems.length > 0) throw new Error(what(problems.join('\n')));
    }

    dust.write('exit\r');
    expect(await dust.waitForExit(30000)).to.equal(0);
  });
});
