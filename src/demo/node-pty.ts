/**
 * node-pty, loaded when the demo starts rather than when dust does. It is an optional dependency: it
 * compiles with node-gyp on Linux, and `npm i -g dust-shell` must work on a machine without a compiler,
 * where everything but the demo's terminals works.
 */
import type * as NodePty from 'node-pty';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

type NodePtyModule = typeof NodePty;

let loaded: NodePtyModule | undefined;

/** Loads node-pty once; without it, the one line a user sees says why the demo cannot start and what to do. */
export async function loadNodePty(): Promise<NodePtyModule> {
  if (loaded) return loaded;
  let mod: NodePtyModule & { default?: NodePtyModule };
  try {
    mod = (await import('node-pty')) as NodePtyModule & { default?: NodePtyModule };
  } catch (err) {
    throw new DustError(ErrorCodes.DemoFailed, `the demo needs node-pty, which cannot be loaded here (${firstLine(err)})`, {
      hint: 'node-pty is optional and compiles with node-gyp: install a C++ toolchain and python3 (Debian: apt install build-essential python3), then reinstall dust (npm i -g dust-shell); everything but --demo works without it',
      cause: err,
    });
  }
  loaded = mod.default ?? mod;
  return loaded;
}

/** The module loadNodePty() loaded; the demo's servers call this only after it has. */
export function nodePty(): NodePtyModule {
  if (!loaded) throw new Error('node-pty used before loadNodePty()');
  return loaded;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
