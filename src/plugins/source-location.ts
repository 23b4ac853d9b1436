import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Where in a plugin's own file an error arose, as `file:line:col` (what editors and terminals open), found
 * in the error's stack: the first frame in that file. ES modules appear as file URLs, with the `?v=`
 * query the loader adds to defeat the module cache. Undefined when no frame is in the file.
 */
export function locationInFile(err: unknown, file: string): string | undefined {
  const stack = err instanceof Error ? err.stack ?? '' : '';
  if (!path.isAbsolute(file) || stack === '') return undefined;
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const where = new RegExp(`(?:${escape(pathToFileURL(file).href)}|${escape(file)})(?:\\?[^:)\\s]*)?:(\\d+):(\\d+)`);
  const m = where.exec(stack);
  return m ? `${file}:${m[1]}:${m[2]}` : undefined;
}
