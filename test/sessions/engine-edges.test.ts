/**
 * The session engine over a scripted in-memory channel: orderings a real shell produces only under a race.
 */
import { expect } from 'chai';
import { SessionManager } from '../../src/sessions/index.js';
import { dustNode } from '../ssh-sessions/helpers.js';
import { ScriptedTransport } from '../helpers/scripted-transport.js';

describe('session engine edges (scripted channel)', () => {
  const node = dustNode('n1', '127.0.0.1', 22);

  it('a ^C that lands before the shell read the command line ends the run instead of leaving the node waiting forever', async () => {
    let before = '';
    const transport = new ScriptedTransport((written, shell) => {
      if (written === '\x03') {
        // The tty flushed the unread line: the shell's variable still holds the token from before it.
        shell.emit('\r\n');
        shell.prompt(before, 130);
        return;
      }
      const cmd = /^__dust_t=(\w+); eval '(.*)'\n$/.exec(written);
      if (!cmd) return;
      if (cmd[2] === 'sleep 30') return; // "never read": the ^C arrives first
      shell.emit(`${cmd[2]!.replace(/^echo /, '')}\r\n`);
      shell.prompt(cmd[1]!);
      before = cmd[1]!;
    });
    const sm = new SessionManager({ transports: [transport], interruptGraceMs: 300 });
    const [warm] = await sm.run([node], 'echo warm');
    expect(warm!.output).to.deep.equal(['warm']);
    const ac = new AbortController();
    const running = sm.run([node], 'sleep 30', { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    const [r] = await running;
    expect([r!.status, r!.exitCode, r!.stillRunning]).to.deep.equal(['interrupted', 130, undefined]);
    expect(sm.stateOf(node)).to.equal('idle');
    const [next] = await sm.run([node], 'echo next');
    expect([next!.status, next!.output]).to.deep.equal(['ok', ['next']]);
    await sm.closeAll();
  });

  it('a marker split across chunks at every byte is still one marker', async () => {
    const transport = new ScriptedTransport((written, shell) => {
      const cmd = /^__dust_t=(\w+); eval '(.*)'\n$/.exec(written);
      if (!cmd) return;
      const text = `out\r\n\r\n__DUST_${cmd[1]}_0_${shell.pid}_b_/x__\r\n`;
      for (const ch of text) shell.emit(ch);
    });
    const sm = new SessionManager({ transports: [transport] });
    const [r] = await sm.run([node], 'anything');
    expect([r!.status, r!.output]).to.deep.equal(['ok', ['out']]);
    await sm.closeAll();
  });
});
