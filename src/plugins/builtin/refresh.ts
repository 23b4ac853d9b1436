import type { CommandSpec } from '../api.js';

/** `refresh`: drop the inventory cache and show it again (every source, whichever integration provides it). */
export const refreshCommand: CommandSpec = {
  name: 'refresh',
  usage: 'refresh [-v|-vv] [target]',
  summary: 'reload the inventory from its sources (static, ssh config, EC2, pods, plugins), then show it',
  help: 'Drops the cached inventory, asks every source again and shows the result (same options as show).\n'
    + 'Commands that change nodes (start, stop, tag, ...) already refresh by themselves; nodes in a passing state\n'
    + '(pending, stopping) are re-read every few seconds on their own.',
  examples: ['refresh', 'refresh worker*'],
  target: { mode: 'none' },
  async run(ctx) {
    ctx.state.invalidate();
    return ctx.runLine(ctx.raw.trim() === '' ? 'show' : `show ${ctx.raw.trim()}`);
  },
};

