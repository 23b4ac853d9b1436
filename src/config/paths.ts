import os from 'node:os';
import path from 'node:path';

/** `$DUST_HOME`, default `~/.cluster`: history, known_hosts, plugins, per-plugin state. */
export function dustHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['DUST_HOME'];
  return fromEnv && fromEnv.length > 0 ? path.resolve(expandHome(fromEnv)) : path.join(os.homedir(), '.cluster');
}

export function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return p;
}
