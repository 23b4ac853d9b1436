#!/usr/bin/env node
/**
 * The build: `tsc -p tsconfig.build.json`, the bin made executable, and a stamp of what was built.
 *
 *   node scripts/build.mjs             build (npm run build, npm test)
 *   node scripts/build.mjs --if-stale  build only when the sources changed since the last build (npm start)
 *
 * `npm start` used to compile on every start (8-13 s to the prompt). "Changed" means the fingerprint of
 * the build's inputs differs from the one in dist/.build-stamp: path, size and mtime of every file under
 * src/, plus the tsconfig files and package.json. Any edit, checkout, added or deleted file changes it (an
 * older mtime too, which a plain "newer than dist" test would miss); a fresh clone has no stamp and builds.
 * Plain JavaScript, so it runs before anything is compiled and without tsx's start-up cost.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const STAMP = path.join('dist', '.build-stamp');
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];
const INPUT_DIRS = ['src'];

/** The inputs' fingerprint under `root` (a project directory). */
export function inputsFingerprint(root) {
  const entries = [];
  const add = (rel) => {
    const st = fs.statSync(path.join(root, rel), { throwIfNoEntry: false });
    entries.push(st ? `${rel}\0${st.size}\0${st.mtimeMs}` : `${rel}\0missing`);
  };
  for (const f of INPUT_FILES) add(f);
  for (const dir of INPUT_DIRS) {
    const base = path.join(root, dir);
    if (!fs.existsSync(base)) continue;
    for (const rel of fs.readdirSync(base, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => path.relative(root, path.join(d.parentPath ?? d.path, d.name)))
      .sort()) add(rel);
  }
  return createHash('sha256').update(entries.join('\n')).digest('hex');
}

/** Whether `root`'s build output is missing or older than its sources. */
export function isStale(root) {
  const stamp = path.join(root, STAMP);
  if (!fs.existsSync(stamp) || !fs.existsSync(path.join(root, 'dist', 'shell', 'main.js'))) return true;
  return fs.readFileSync(stamp, 'utf8').trim() !== inputsFingerprint(root);
}

/** Compiles `root` and records what was compiled; returns tsc's exit status. */
export function build(root) {
  // Taken before compiling: a file edited during the build makes the next --if-stale build again.
  const fingerprint = inputsFingerprint(root);
  // From scratch: a module deleted from src/ must not live on in dist/ (or in a packed tarball).
  fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) return r.status ?? 1;
  fs.chmodSync(path.join(root, 'dist', 'shell', 'main.js'), 0o755);
  fs.writeFileSync(path.join(root, STAMP), `${fingerprint}\n`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const onlyIfStale = process.argv.includes('--if-stale');
  process.exitCode = onlyIfStale && !isStale(root) ? 0 : build(root);
}
