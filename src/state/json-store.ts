import fs from 'node:fs';
import path from 'node:path';
import type { KeyValueStore } from '../plugins/api.js';

/**
 * A small persistent key/value store: one JSON file per namespace under `$DUST_HOME/state/`.
 * Writes go to a temporary file that is renamed over the old one, so a crash never leaves half a file.
 */
export class JsonFileStore implements KeyValueStore {
  private data: Record<string, unknown>;

  constructor(private readonly file: string) {
    this.data = readJson(file);
  }

  static forNamespace(dustHome: string, namespace: string): JsonFileStore {
    const safe = namespace.replace(/[^\w.-]/g, '_');
    return new JsonFileStore(path.join(dustHome, 'state', `${safe}.json`));
  }

  get<T = unknown>(key: string): T | undefined {
    return this.data[key] as T | undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    this.data[key] = value;
    await this.flush();
  }

  async delete(key: string): Promise<void> {
    if (!(key in this.data)) return;
    delete this.data[key];
    await this.flush();
  }

  keys(): string[] {
    return Object.keys(this.data);
  }

  private async flush(): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await fs.promises.writeFile(tmp, `${JSON.stringify(this.data, null, 2)}\n`, { mode: 0o600 });
    await fs.promises.rename(tmp, this.file);
  }
}

function readJson(file: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
