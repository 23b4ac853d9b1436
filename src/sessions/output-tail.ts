/**
 * The last `keep` lines of a run's output, kept cheaply. Holding each line as its own string until it falls
 * out of the tail means every line of a big `cat` lives long enough to be promoted to V8's old generation;
 * joining them into blocks of `BLOCK` lines right away lets the per-line strings die young, and the tail is
 * split back into lines only once, when the run ends. Lines never contain `\n` (the demux splits on it), so
 * join/split is lossless.
 */
export class OutputTail {
  private static readonly BLOCK = 256;
  private recent: string[] = [];
  private readonly blocks: string[] = [];
  private readonly blockLines: number[] = [];
  private linesInBlocks = 0;

  constructor(private readonly keep: number) {}

  push(line: string): void {
    this.recent.push(line);
    if (this.recent.length < OutputTail.BLOCK) return;
    this.blocks.push(this.recent.join('\n'));
    this.blockLines.push(this.recent.length);
    this.linesInBlocks += this.recent.length;
    this.recent = [];
    // Drop whole blocks that lie entirely before the last `keep` lines.
    while (this.blocks.length > 0 && this.linesInBlocks - this.blockLines[0]! >= this.keep) {
      this.linesInBlocks -= this.blockLines.shift()!;
      this.blocks.shift();
    }
  }

  /** The last `keep` lines, oldest first. */
  lines(): string[] {
    const all: string[] = [];
    for (const b of this.blocks) for (const l of b.split('\n')) all.push(l);
    for (const l of this.recent) all.push(l);
    return all.length > this.keep ? all.slice(-this.keep) : all;
  }
}
