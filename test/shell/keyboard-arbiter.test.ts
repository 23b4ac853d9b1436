import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import { KeyboardArbiter } from '../../src/shell/keyboard-arbiter.js';
import type { ReplAdapter } from '../../src/shell/node-repl-adapter.js';

/**
 * The arbiter with a stand-in terminal: `input` is an EventEmitter that data is emitted on, and the "line
 * editor" reads every 'data' event while attached — as readline does through its keypress decoder.
 */
function rig() {
  const input = Object.assign(new EventEmitter(), { isTTY: false, setRawMode: () => input, resume: () => input });
  const editor: string[] = [];
  let attached = true;
  input.on('data', (chunk: Buffer) => { if (attached) editor.push(chunk.toString()); });
  const adapter = { attachKeyboard: () => { attached = true; }, detachKeyboard: () => { attached = false; } };
  let interrupts = 0;
  const arbiter = new KeyboardArbiter(adapter as unknown as ReplAdapter, input as unknown as NodeJS.ReadStream, () => { interrupts++; });
  const type = (text: string): void => { input.emit('data', Buffer.from(text)); };
  const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
  return { arbiter, editor, type, tick, interrupts: () => interrupts, input };
}

describe('keyboard arbiter: type-ahead', () => {
  it('keys typed while a command runs reach the line editor afterwards, before keys typed later (found by the REPL fuzz)', async () => {
    const r = rig();
    r.arbiter.setBusy(true);
    r.type('show work');
    r.arbiter.setBusy(false);
    r.type('er[0-2]\r'); // arrives before the held keys were handed on
    await r.tick();
    expect(r.editor.join('')).to.equal('show worker[0-2]\r');
  });

  it('a question gets the type-ahead first; a program on the terminal never does', async () => {
    const r = rig();
    const answers: string[] = [];
    const question = (c: Buffer): void => { answers.push(c.toString()); };
    r.arbiter.setBusy(true);
    r.type('y\r');
    const giveBack = r.arbiter.borrow();
    r.input.on('data', question);
    await r.tick();
    r.input.off('data', question);
    giveBack();
    expect(answers).to.deep.equal(['y\r']);

    r.type('ls\r');
    const release = r.arbiter.borrowTerminal();
    await r.tick();
    expect(r.editor).to.deep.equal([]);
    release();
    r.arbiter.setBusy(false);
    await r.tick();
    expect(r.editor.join('')).to.equal('ls\r');
  });

  it('Ctrl-C while a command runs interrupts it and drops what was typed ahead', async () => {
    const r = rig();
    r.arbiter.setBusy(true);
    r.type('show\r');
    r.type('\x03');
    r.arbiter.setBusy(false);
    await r.tick();
    expect(r.interrupts()).to.equal(1);
    expect(r.editor).to.deep.equal([]);
  });
});
