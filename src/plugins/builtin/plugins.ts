import type { CommandSpec } from '../api.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';

/** What the host lends the `plugins` command: the last load report and a way to reload. */
export interface PluginAdmin {
  describe(): { name: string; source: string; commands: string[]; builtin: boolean }[];
  failures(): { source: string; message: string }[];
  reload(): Promise<void>;
}

export function pluginsCommand(admin: PluginAdmin): CommandSpec {
  return {
    name: 'plugins',
    usage: 'plugins [reload]',
    summary: 'list loaded plugins and where they come from; reload re-reads the drop-in folder',
    help: 'Drop-in plugins live in $DUST_HOME/plugins (.js, .mjs, .ts); packages can be named in config `plugins:`.\n'
      + 'See docs/plugins.md for a five-minute tutorial.',
    examples: ['plugins', 'plugins reload'],
    complete: (ctx) => ['reload'].filter((w) => w.startsWith(ctx.word)),
    async run(ctx) {
      const sub = ctx.positionals[0];
      if (sub === 'reload') {
        await admin.reload();
      } else if (sub !== undefined) {
        throw new DustError(ErrorCodes.Usage, `plugins: unknown subcommand '${sub}'`, { hint: 'usage: plugins [reload]' });
      }
      const rows = admin.describe().map((p) => [p.name, p.commands.join(', '), p.builtin ? 'built-in' : p.source]);
      ctx.out.table(['plugin', 'commands', 'from'], rows);
      for (const f of admin.failures()) ctx.out.warn(`not loaded: ${f.message}`);
    },
  };
}
