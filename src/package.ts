import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * dust's npm package name. The name `dust` on the registry belongs to an unrelated package, so dust is
 * published as `dust-shell` (the binary is still `dust`) and plugins import `dust-shell/plugin`.
 * A test keeps this equal to package.json's name.
 */
export const DUST_PACKAGE = 'dust-shell';

/** The folder holding dust's package.json: one level above this module, in src/ and in dist/ alike. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
