import { expect } from 'chai';
import { TypedEcho } from '../../src/sessions/typed-echo.js';
import { wrapCommand } from '../../src/sessions/shell-protocol.js';

/** Feeds output lines through the filter; returns the ones that are not echo. */
const kept = (echo: TypedEcho, lines: string[]): string[] => lines.filter((l) => !echo.isEcho(l));

describe('sessions: typed echo', () => {
  it('while unknown, drops the echo of a command (all its lines) and asks for echo off at the marker', () => {
    const echo = new TypedEcho();
    const typed = wrapCommand('echo a\necho "b c"', 'tok1');
    echo.typed(typed, true);
    const echoed = typed.replace(/\n$/, '').split('\n');
    expect(kept(echo, [...echoed, 'a', 'b c'])).to.deep.equal(['a', 'b c']);
    expect(echo.state).to.equal('on');
    expect(echo.settle(), 'turn echo off now').to.equal(true);
    echo.turnedOff();
    echo.typed(wrapCommand('true', 'tok2'), true);
    expect(kept(echo, [wrapCommand('true', 'tok2').trimEnd()]), 'off: nothing is filtered').to.have.length(1);
  });

  it('with echo off, output equal to a later line of a multi-line command is kept', () => {
    const echo = new TypedEcho();
    echo.typed(wrapCommand('cat <<EOF\nhello\nEOF', 'tok'), true);
    expect(kept(echo, ['hello'])).to.deep.equal(['hello']);
    expect(echo.settle()).to.equal(false);
    expect(echo.state).to.equal('off');
  });


  it('expects input typed for a waiting program only once echo is known to be on', () => {
    const echo = new TypedEcho();
    echo.typed('Y\n', false);
    expect(kept(echo, ['Y'])).to.deep.equal(['Y']);
    echo.typed(wrapCommand('read x', 'tok'), true);
    expect(echo.isEcho(wrapCommand('read x', 'tok').trimEnd())).to.equal(true);
    echo.typed('Y\n', false);
    expect(kept(echo, ['Y', 'got Y'])).to.deep.equal(['got Y']);
  });

  it('reset forgets what was typed on the previous shell', () => {
    const echo = new TypedEcho();
    echo.typed(wrapCommand('x', 'tok'), true);
    echo.reset();
    expect(echo.isEcho(wrapCommand('x', 'tok').trimEnd())).to.equal(false);
    expect(echo.state).to.equal('unknown');
  });
});
