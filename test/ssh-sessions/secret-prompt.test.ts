import { expect } from 'chai';
import { isSecretPrompt } from '../../src/sessions/secret-prompt.js';
import { summarize } from '../../src/plugins/builtin/at.js';
import type { NodeRunResult } from '../../src/plugins/api.js';
import { dustNode } from './helpers.js';

describe('secret prompts', () => {
  it('recognises the password prompts of sudo, su, ssh, mysql and friends', () => {
    for (const p of [
      '[sudo] password for ann: ', 'Password: ', "ann@db1's password: ", 'Enter password:',
      "Enter passphrase for key '/home/ann/.ssh/id_ed25519': ", 'Vault password: ', 'Verification code: ',
      'Enter PIN for token: ', 'Password (again): ',
    ]) expect(isSecretPrompt(p), p).to.equal(true);
  });

  it('leaves ordinary prompts alone', () => {
    for (const p of ['Continue? [Y/n] ', 'Username: ', 'Overwrite /etc/hosts? (y/n) ', 'password reset done', 'Enter a name: '])
      expect(isSecretPrompt(p), p).to.equal(false);
  });

  it('the summary offers `@nodes` alone for nodes waiting at a password prompt, `@nodes <text>` otherwise', () => {
    const waiting = (name: string, prompt: string): NodeRunResult =>
      ({ node: dustNode(name, '127.0.0.1', 22), status: 'waiting', exitCode: null, output: ['x', prompt] });
    expect(summarize([waiting('w1', '[sudo] password for ann: '), waiting('w2', '[sudo] password for ann: ')]))
      .to.equal('… 2 waiting for input: w[1-2] — type the password with @w[1-2] (no text: it is read without echo)');
    expect(summarize([waiting('w1', 'Continue? ')])).to.equal('… 1 waiting for input: w1 — answer with @w1 <text>');
  });

  it('the summary tells an interrupted program that stopped from one still running (its node takes the next line)', () => {
    const STILL_RUNNING = true;
    const interrupted = (name: string, exitCode: number | null, stillRunning?: boolean): NodeRunResult =>
      ({ node: dustNode(name, '127.0.0.1', 22), status: 'interrupted', exitCode, output: [], ...(stillRunning ? { stillRunning } : {}) });
    expect(summarize([interrupted('w1', 130), interrupted('w2', null, STILL_RUNNING), interrupted('w3', null, STILL_RUNNING)]))
      .to.equal('… 1 interrupted: w1 · 2 still running after ^C: w[2-3] — @w2 alone shows one; a line sent there goes to that program');
    expect(summarize([interrupted('w9', null, STILL_RUNNING)]))
      .to.equal('… 1 still running after ^C: w9 — @w9 alone shows it; a line sent there goes to that program');
    expect(summarize([interrupted('w1', null)]), 'stopped before it started').to.equal('… 1 interrupted: w1');
  });

  it('a timed-out program that ignored ^C is named once, as still running, with the way to it', () => {
    const timedOut = (name: string, stillRunning: boolean): NodeRunResult =>
      ({ node: dustNode(name, '127.0.0.1', 22), status: 'timeout', exitCode: stillRunning ? null : 130, output: [], ...(stillRunning ? { stillRunning } : {}) });
    expect(summarize([timedOut('w1', false), timedOut('w2', true), timedOut('w3', true)]))
      .to.equal('✖ 1 timed out: w1 · 2 timed out, still running after ^C: w[2-3] — @w2 alone shows one; a line sent there goes to that program');
  });
});
