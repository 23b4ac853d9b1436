import type { CommandSpec } from '../api.js';

export const exitCommand: CommandSpec = {
  name: 'exit',
  aliases: ['quit'],
  usage: 'exit',
  summary: 'leave dust, closing every SSH session (Ctrl-D does the same)',
  examples: ['exit', 'quit'],
  run(ctx) {
    ctx.requestExit();
  },
};
