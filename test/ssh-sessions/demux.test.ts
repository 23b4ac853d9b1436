import { expect } from 'chai';
import { LineDemux } from '../../src/sessions/demux.js';
import type { ParsedMarker } from '../../src/sessions/shell-protocol.js';
import { bootstrapCommand, parseMarker, shQuote, wrapCommand } from '../../src/sessions/shell-protocol.js';

function collect(quietMs = 30): { demux: LineDemux; lines: string[]; partials: string[]; markers: ParsedMarker[] } {
  const lines: string[] = [], partials: string[] = [], markers: ParsedMarker[] = [];
  const demux = new LineDemux({ line: (l) => lines.push(l), partial: (p) => partials.push(p), marker: (m) => { markers.push(m); } }, quietMs);
  return { demux, lines, partials, markers };
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('sessions: demux', () => {
  it('decodes a multi-byte character split across reads', () => {
    const c = collect();
    const bytes = Buffer.from('é€😀\r\n', 'utf8');
    for (let i = 0; i < bytes.length; i++) c.demux.push(bytes.subarray(i, i + 1));
    expect(c.lines).to.deep.equal(['é€😀']);
    c.demux.dispose();
  });

  it('drops the marker printf newline but keeps real empty lines and unterminated last lines', () => {
    const c = collect();
    c.demux.pushText('a\r\n\r\n\r\n__DUST_tok1_0_41_b_/tmp__\r\n');
    c.demux.pushText('tail\r\n__DUST_tok2_3_41__/a_b___\r\n');
    expect(c.lines).to.deep.equal(['a', '', 'tail']);
    c.demux.dispose();
    expect(c.markers).to.deep.equal([{ token: 'tok1', exitCode: 0, pid: 41, kind: 'bash', cwd: '/tmp' }, { token: 'tok2', exitCode: 3, pid: 41, kind: 'sh', cwd: '/a_b_' }]);
    const d = collect();
    d.demux.pushText('x\r\n');
    d.demux.pushText('tail\r\n__DUST_t_0_7_b_/__\r\n');
    expect(d.lines).to.deep.equal(['x', 'tail']);
  });

  it('delivers a partial line after the quiet period, then only the rest of that line', async () => {
    const c = collect();
    c.demux.pushText('Continue? ');
    await sleep(80);
    expect(c.partials).to.deep.equal(['Continue? ']);
    c.demux.pushText('yes\r\n\r\n__DUST_t_0_7_b_/__\r\n');
    expect(c.lines).to.deep.equal(['yes']);
  });

  it('never shows half a marker', async () => {
    const c = collect();
    c.demux.pushText('\r\n__DUST_t_0_7');
    await sleep(80);
    expect(c.partials).to.deep.equal([]);
    expect(c.lines).to.deep.equal([]);
    c.demux.pushText('_b_/__\r\n');
    expect(c.markers).to.have.length(1);
  });

  it('writes markers that never appear literally in what is sent', () => {
    const line = wrapCommand("echo '__DUST_x'", 'abc');
    expect(line.split('\n')).to.have.length(2);
    expect(line).to.not.include('__DUST_abc');
    expect(parseMarker('__DUST_abc_0_99_b_/__')).to.deep.equal({ token: 'abc', exitCode: 0, pid: 99, kind: 'bash', cwd: '/' });
    expect(parseMarker('__DUST_abc_0_/__'), 'without pid and kind').to.equal(undefined);
    expect(shQuote("it's")).to.equal(`'it'\\''s'`);
    expect(bootstrapCommand('boot1', 'ready1')).to.match(/^exec \/bin\/sh -c '[^'\n\\]*'$/);
  });
});
