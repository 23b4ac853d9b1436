import { createHash, type Hash } from 'node:crypto';

/**
 * The last `keep` lines of a run's output, kept cheaply. Holding each line as its own string until it falls
 * out of the tail means every line of a big `cat` lives long enough to be promoted to V8's old generation;
 * joining them into blocks of `BLOCK` lines right away lets the per-line strings die young, and the tail is
 * split back into lines only once, when the run ends. Lines never contain `\n` (the demux splits on it), so
 * join/split is lossless.
 *
 * What falls out of the tail is counted and fingerprinted (a SHA-1 over every line, fed block by block), so a cut
 * is always visible and two outputs that differ only in their dropped part are never called identical.
 */
export class OutputTail {
  private static readonly BLOCK = 256;
  private recent: string[] = [];
  private readonly blocks: string[] = [];
  private readonly blockLines: number[] = [];
  private linesInBlocks = 0;
  private total = 0;
  /** Created with the first block: most runs print a few lines and never need one (a native hash per node and run). */
  private hash: Hash | undefined;

  constructor(private readonly keep: number) {}

  push(line: string): void {
    this.total++;
    this.recent.push(line);
    if (this.recent.length < OutputTail.BLOCK) return;
    const block = this.recent.join('\n');
    (this.hash ??= createHash('sha1')).update(block).update('\n');
    this.blocks.push(block);
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

  /** Every line seen, kept or not. */
  get totalLines(): number {
    return this.total;
  }

  /** Lines that fell out of the tail. */
  get dropped(): number {
    return Math.max(0, this.total - this.keep);
  }

  /** Fingerprint of the whole output (call once, at the end). */
  digest(): string {
    const hash = this.hash ?? createHash('sha1');
    if (this.recent.length > 0) hash.update(this.recent.join('\n')).update('\n');
    return hash.digest('hex').slice(0, 16);
  }
}
