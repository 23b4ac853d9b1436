import fs from 'node:fs';
import { withFileLock } from './file-lock.js';
import { writePrivateFile } from './private-file.js';

/**
 * `$DUST_HOME/history`, shared by every dust shell of this user. node:repl's own persistence rewrites the
 * file from its in-memory list on every line, so of two shells open at once the last to type wins and the
 * other's lines are gone. Here new lines are added to the file as it is on disk now (under its lock, replaced
 * atomically; lines that arrive during a write go together in the next), so every shell's lines are kept, as bash does with `histappend`. A new shell starts with all
 * of them; a running shell recalls its own (and those that were there when it started).
 *
 * The file keeps node:repl's format, so existing history carries over: one entry per line, newest first.
 */
export class HistoryFile {
  private pending: Promise<void> = Promise.resolve();
  /** Added and not yet written, oldest first. */
  private queued: string[] = [];
  private warned = false;

  constructor(readonly file: string, readonly size: number, private readonly onError: (message: string) => void) {}

  /** The entries, newest first, at most `size`. A missing file is an empty history. */
  async load(): Promise<string[]> {
    if (this.size === 0) return [];
    try {
      return splitEntries(await fs.promises.readFile(this.file, 'utf8')).slice(0, this.size);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.report(err);
      return [];
    }
  }

  /** Records one entry as the newest; returns at once (`flush` waits for the write). */
  add(entry: string): void {
    if (this.size === 0 || entry.trim() === '') return;
    this.queued.push(entry);
    this.pending = this.pending.then(() => this.writeQueued()).catch((err: unknown) => this.report(err));
  }

  /** Resolves when every entry added so far is on disk (before the shell exits). */
  flush(): Promise<void> {
    return this.pending;
  }

  /**
   * Writes every entry queued so far in one go. Lines can arrive faster than the file can be locked, read and
   * replaced (a pasted script, a fast typist on a slow disk): one rewrite per line made the backlog, and so
   * `exit`, wait for seconds. The chained calls after a batch find the queue empty and return at once.
   */
  private async writeQueued(): Promise<void> {
    if (this.queued.length === 0) return;
    const batch = this.queued.splice(0);
    await withFileLock(this.file, async () => {
      let onDisk: string[] = [];
      try {
        onDisk = splitEntries(await fs.promises.readFile(this.file, 'utf8'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      // The same line again as the newest: once is enough (readline does the same).
      const added: string[] = [];
      let newest = onDisk[0];
      for (const entry of batch) {
        if (entry === newest) continue;
        added.push(entry);
        newest = entry;
      }
      if (added.length === 0) return;
      const next = [...added.reverse(), ...onDisk].slice(0, this.size);
      await writePrivateFile(this.file, `${next.join('\n')}\n`);
    });
  }


  private report(err: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.onError(`history: cannot save to ${this.file}: ${err instanceof Error ? err.message : String(err)} (the shell goes on without it)`);
  }
}

function splitEntries(text: string): string[] {
  return text.split(/[\r\n]+/).filter((l) => l !== '');
}
