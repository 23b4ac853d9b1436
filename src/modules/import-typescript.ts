import type { Jiti } from 'jiti';

let jiti: Promise<Jiti> | undefined;

/**
 * Imports a `.ts` file (a plugin or a `dust.config.ts`) without a build step, through jiti. jiti costs
 * ~50 ms to load, so it is loaded on the first TypeScript file, never on the start-up path. Caches are
 * off so `plugins reload` sees edits.
 */
export async function importTypeScript(file: string, opts: { default?: boolean } = {}): Promise<unknown> {
  jiti ??= import('jiti').then(({ createJiti }) => createJiti(import.meta.url, { moduleCache: false, fsCache: false }));
  return (await jiti).import(file, opts.default ? { default: true } : {});
}
