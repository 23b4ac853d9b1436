import { definePlugin, DUST_PLUGIN_API, type DustPlugin } from '../api.js';
import { showCommand } from './show.js';
import { useCommand } from './use.js';
import { helpCommand } from './help.js';
import { exitCommand } from './exit.js';
import { localShellCommand, localFallbackCommand } from './local-shell.js';
import { atCommand } from './at.js';
import { gatherCommand } from './gather.js';
import { putCommand, getCommand } from './files.js';
import { markCommand, muteCommand, soloCommand, unmuteCommand } from './stream-controls.js';

/**
 * Built-in commands, each a plugin registered through the public API (so `plugins` lists them and a
 * user's drop-in can replace one). Order matters only for name clashes: later wins.
 */
export const builtinPlugins: DustPlugin[] = [
  definePlugin({ name: 'builtin:help', apiVersion: DUST_PLUGIN_API, setup: (api) => api.registerCommand(helpCommand) }),
  definePlugin({ name: 'builtin:inventory', apiVersion: DUST_PLUGIN_API, setup: (api) => { api.registerCommand(showCommand); api.registerCommand(useCommand); } }),
  definePlugin({ name: 'builtin:sessions', apiVersion: DUST_PLUGIN_API, setup: (api) => { api.registerCommand(atCommand); api.registerCommand(gatherCommand); } }),
  definePlugin({ name: 'builtin:files', apiVersion: DUST_PLUGIN_API, setup: (api) => { api.registerCommand(putCommand); api.registerCommand(getCommand); } }),
  definePlugin({ name: 'builtin:local-shell', apiVersion: DUST_PLUGIN_API, setup: (api) => { api.registerCommand(localShellCommand); api.registerCommand(localFallbackCommand); } }),
  definePlugin({ name: 'builtin:stream-controls', apiVersion: DUST_PLUGIN_API, setup: (api) => { for (const c of [muteCommand, unmuteCommand, soloCommand, markCommand]) api.registerCommand(c); } }),
  definePlugin({ name: 'builtin:exit', apiVersion: DUST_PLUGIN_API, setup: (api) => api.registerCommand(exitCommand) }),
];
