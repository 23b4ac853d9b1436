import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes one of dust's own files (state, history, records) whole or not at all: atomically, mode 0600, its
 * folder created 0700. write-file-atomic loads with the first write: no prompt needs it before.
 */
export async function writePrivateFile(file: string, text: string): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const { default: writeFileAtomic } = await import('write-file-atomic');
  await writeFileAtomic(file, text, { mode: 0o600 });
}
