import fs from 'node:fs';
import path from 'node:path';
import type { KeyValueStore } from '../plugins/api.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { withFileLock } from './file-lock.js';
import { writePrivateFile } from './private-file.js';

/**
 * A small persistent key/value store: one JSON file per namespace under `$DUST_HOME/state/`.
 *
 * Several dust processes may share it (two shells, a script beside a shell), so nothing is written from a
 * stale copy: every change takes the file's lock, re-reads the file, applies just that one key's change
 * and replaces the file atomically (write-file-atomic: a unique temporary file, fsync, rename). Reads see
 * other processes' writes: the file is re-read whenever it changed on disk.
 */
export class JsonFileStore implements KeyValueStore {
  private data: Record<string, unknown> = {};
  /** Identity of the file version `data` was read from; undefined when the file did not exist. */
  private seen: string | undefined = 'unread';

  constructor(readonly file: string) {
    this.refresh();
  }

  static forNamespace(dustHome: string, namespace: string): JsonFileStore {
    const safe = namespace.replace(/[^\w.-]/g, '_');
    return new JsonFileStore(path.join(dustHome, 'state', `${safe}.json`));
  }

  get<T = unknown>(key: string): T | undefined {
    this.refresh();
    return this.data[key] as T | undefined;
  }

  /** Every key's value, as the file is now (one stat, and a read only when it changed). Do not modify it. */
  all(): Readonly<Record<string, unknown>> {
    this.refresh();
    return this.data;
  }

  keys(): string[] {
    this.refresh();
    return Object.keys(this.data);
  }

  set(key: string, value: unknown): Promise<void> {
    return this.update(key, () => value);
  }

  delete(key: string): Promise<void> {
    return this.update(key, () => undefined);
  }

  /**
   * Read-modify-write of one key against the file as it is now, not as this process last saw it:
   * `fn` gets the current value and returns the new one (undefined removes the key).
   */
  update<T = unknown>(key: string, fn: (current: T | undefined) => T | undefined): Promise<void> {
    return withFileLock(this.file, async () => {
      const { data } = readStrict(this.file);
      const next = fn(data[key] as T | undefined);
      if (next === undefined) {
        if (!(key in data)) return this.adopt(data);
        delete data[key];
      } else {
        data[key] = next;
      }
      await writePrivateFile(this.file, `${JSON.stringify(data, null, 2)}\n`);
      this.adopt(data);
    });
  }

  private adopt(data: Record<string, unknown>): void {
    this.data = data;
    this.seen = identity(this.file);
  }

  /** Re-reads the file when it changed since we read it (one stat otherwise). */
  private refresh(): void {
    const now = identity(this.file);
    if (now === this.seen) return;
    // Reads stay lenient (a broken file reads as empty); writes refuse to overwrite it (readStrict).
    try {
      this.data = readStrict(this.file).data;
    } catch {
      this.data = {};
    }
    this.seen = now;
  }
}

function identity(file: string): string | undefined {
  try {
    const st = fs.statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/** The file's object; {} when missing. A corrupt file is an error: overwriting it would lose its data. */
function readStrict(file: string): { data: Record<string, unknown> } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { data: {} };
    throw new DustError(ErrorCodes.StateWrite, `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (text.trim() === '') return { data: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new DustError(ErrorCodes.StateWrite, `${file} is not valid JSON (${(err as Error).message}); not overwriting it`, {
      hint: 'fix or move the file away; dust starts a fresh one when it is gone', cause: err,
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DustError(ErrorCodes.StateWrite, `${file} does not hold a JSON object; not overwriting it`, {
      hint: 'fix or move the file away; dust starts a fresh one when it is gone',
    });
  }
  return { data: parsed as Record<string, unknown> };
}
