import { Chalk, supportsColor, supportsColorStderr, type ChalkInstance, type ColorSupportLevel } from 'chalk';

/**
 * Colour policy in one place: NO_COLOR (any non-empty value) disables colour; otherwise chalk's own
 * detection (supports-color) decides for stdout and stderr, so FORCE_COLOR (0 to 3), TERM=dumb, CI
 * terminals and --color/--no-color mean what they mean for every other chalk-based tool. cli-table3 and
 * chalk both read from here. Streams that are not the process's own (tests) get colour only on a TTY.
 */
export function colorWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  const detected = detectedFor(stream);
  if (detected !== undefined) return detected > 0;
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

/** Whether the terminal can redraw a line in place (`\r` + erase): a TTY that is not TERM=dumb. */
export function canRedrawLine(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

function detectedFor(stream: unknown): ColorSupportLevel | undefined {
  if (stream === process.stdout) return supportsColor === false ? 0 : supportsColor.level;
  if (stream === process.stderr) return supportsColorStderr === false ? 0 : supportsColorStderr.level;
  return undefined;
}

/** A chalk at the terminal's own colour depth (256 colours where it cannot tell, e.g. `--color` on a pipe). */
export function makeChalk(enabled: boolean): ChalkInstance {
  if (!enabled) return new Chalk({ level: 0 });
  const level = Math.max(detectedFor(process.stdout) ?? 0, detectedFor(process.stderr) ?? 0);
  return new Chalk({ level: (level === 0 ? 2 : level) as ColorSupportLevel });
}

const NODE_PALETTE = [39, 208, 41, 170, 220, 75, 204, 114, 141, 180, 45, 214, 99, 150, 33, 168];

/** A colour per node name that stays the same for the whole session (and across sessions). */
export function nodeColor(chalk: ChalkInstance, name: string): (s: string) => string {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  const code = NODE_PALETTE[(h >>> 0) % NODE_PALETTE.length]!;
  return (s: string) => chalk.ansi256(code)(s);
}

/** `text` (default: the state itself) coloured by what `state` means. */
export function stateColor(chalk: ChalkInstance, state: string, text = state): string {
  switch (state) {
    case 'running': return chalk.green(text);
    case 'stopped': case 'terminated': case 'failed': return chalk.red(text);
    case 'pending': case 'stopping': case 'shutting-down': case 'terminating': return chalk.yellow(text);
    case 'unreachable': return chalk.red(text);
    default: return text;
  }
}
