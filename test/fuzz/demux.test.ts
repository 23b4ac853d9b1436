/**
 * The line demultiplexer over random output: whatever chunks the network cuts a node's byte stream into
 * (inside a UTF-8 character, inside `\r\n`, inside a marker line), the lines, partial line and markers that
 * come out are the same as when the stream arrives whole.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { LineDemux } from '../../src/sessions/demux.js';
import { fuzz } from './arbitraries.js';

type Event = readonly ['line' | 'partial' | 'marker', string];

/** Runs a stream through a fresh demux, cut at `cuts` (byte offsets); `stopAtMarkers` re-feeds what a stop returns. */
function demux(bytes: Buffer, cuts: readonly number[], stopAtMarkers: boolean): Event[] {
  const events: Event[] = [];
  const d = new LineDemux({
    line: (text) => { events.push(['line', text]); },
    partial: (text) => { events.push(['partial', text]); },
    marker: (m) => {
      events.push(['marker', `${m.token}/${m.exitCode}/${m.pid}/${m.kind}/${m.cwd}`]);
      return stopAtMarkers;
    },
  }, 300, 2000);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let start = 0;
  for (const end of [...points, bytes.length]) {
    // A session that stopped at a marker hands the rest of that read back to the demux, as text.
    let rest = d.push(bytes.subarray(start, end));
    while (rest !== undefined) rest = d.pushText(rest);
    start = end;
  }
  d.flush();
  d.dispose();
  return events;
}

/** A marker line as the shell prints it (see src/sessions/shell-protocol.ts), and what it must parse to. */
const MARKER_PARTS = fc.tuple(fc.stringMatching(/^[a-z0-9]{1,8}$/), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 99999 }),
  fc.constantFrom('b', ''), fc.constantFrom('/', '/tmp', '/home/a b', '/x__y'));
const markerText = ([token, rc, pid, kind, cwd]: [string, number, number, string, string]): string => `\r\n__DUST_${token}_${rc}_${pid}_${kind}_${cwd}__\r\n`;
const markerEvent = ([token, rc, pid, kind, cwd]: [string, number, number, string, string]): string => `${token}/${rc}/${pid}/${kind === 'b' ? 'bash' : 'sh'}/${cwd}`;
const MARKER = MARKER_PARTS.map(markerText);

/** Command output as a PTY delivers it: CRLF lines, blank lines, wide characters, prompts without newline. */
const piece = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(...[...'ab é€😀中 \t$#:?>']), maxLength: 12 }).map((s) => `${s}\r\n`) },
  { weight: 2, arbitrary: MARKER },
  { weight: 1, arbitrary: fc.constantFrom('\r\n', '\n', '\r\r\n', 'Continue? [Y/n] ', 'Password: ', '__DUST_notamarker\r\n', '__DUS', '_\r\n') },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);

describe('fuzz: demux', function () {
  this.timeout(60000);

  it('random chunking of UTF-8 text and marker lines gives the same lines and markers as the whole stream', () => {
    fc.assert(fc.property(fc.array(piece, { maxLength: 25 }), fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), (pieces, cuts, stop) => {
      const bytes = Buffer.from(pieces.join(''), 'utf8');
      const whole = demux(bytes, [], stop);
      expect(demux(bytes, cuts, stop), JSON.stringify(pieces.join(''))).to.deep.equal(whole);
      // Byte by byte is the worst cutting there is.
      if (bytes.length < 120) expect(demux(bytes, [...bytes.keys()], stop)).to.deep.equal(whole);
    }), fuzz(4001, 1500));
  });

  it('every marker written comes out once, in order, and the text around it is intact', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.array(piece.filter((p) => !p.includes('__DUS')), { maxLength: 4 }), MARKER_PARTS), { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 10 }), (runs, cuts) => {
        const text = runs.map(([out, marker]) => out.join('') + markerText(marker)).join('');
        const events = demux(Buffer.from(text, 'utf8'), cuts, true);
        const markers = events.filter(([k]) => k === 'marker').map(([, v]) => v);
        expect(markers).to.deep.equal(runs.map(([, m]) => markerEvent(m)));
        const printed = events.filter(([k]) => k !== 'marker').map(([, v]) => v).join('');
        const written = runs.map(([out]) => out.join('')).join('').replace(/[\r\n]/g, '');
        expect(printed).to.equal(written);
      }), fuzz(4002, 1000));
  });
});
