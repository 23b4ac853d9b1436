/** An in-memory terminal for raw-shell tests: what the user types goes in, what the remote prints is collected. */
import { PassThrough, Writable } from 'node:stream';
import type { RawTerminal } from '../../src/sessions/index.js';

export class FakeTerminal {
  readonly input = new PassThrough();
  readonly screen: string[] = [];
  readonly output: Writable & { rows: number; columns: number };

  constructor(rows = 24, columns = 80) {
    const screen = this.screen;
    const out = new Writable({
      write(chunk: Buffer | string, _enc, cb) { screen.push(chunk.toString()); cb(); },
    }) as Writable & { rows: number; columns: number };
    out.rows = rows;
    out.columns = columns;
    this.output = out;
  }

  get text(): string {
    return this.screen.join('');
  }

  /** Everything written since `mark` (a previous `text.length`). */
  since(mark: number): string {
    return this.text.slice(mark);
  }

  type(s: string): void {
    this.input.write(s);
  }

  resize(rows: number, columns: number): void {
    this.output.rows = rows;
    this.output.columns = columns;
    this.output.emit('resize');
  }

  get terminal(): RawTerminal {
    return { input: this.input, output: this.output };
  }
}
