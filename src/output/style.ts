import { Chalk, type ChalkInstance } from 'chalk';

/**
 * Colour policy in one place: NO_COLOR (any value) disables colour, FORCE_COLOR enables it,
 * otherwise colour only on a TTY. cli-table3 and chalk both read from here.
 */
export function colorWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0') return true;
  return stream.isTTY === true;
}

export function makeChalk(enabled: boolean): ChalkInstance {
  return new Chalk({ level: enabled ? 2 : 0 });
}

const NODE_PALETTE = [39, 208, 41, 170, 220, 75, 204, 114, 141, 180, 45, 214, 99, 150, 33, 168];

/** A colour per node name that stays the same for the whole session (and across sessions). */
export function nodeColor(chalk: ChalkInstance, name: string): (s: string) => string {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  const code = NODE_PALETTE[(h >>> 0) % NODE_PALETTE.length]!;
  return (s: string) => chalk.ansi256(code)(s);
}

export function stateColor(chalk: ChalkInstance, state: string): string {
  switch (state) {
    case 'running': return chalk.green(state);
    case 'stopped': case 'terminated': return chalk.red(state);
    case 'pending': case 'stopping': case 'shutting-down': return chalk.yellow(state);
    case 'unreachable': return chalk.red(state);
    default: return state;
  }
}
