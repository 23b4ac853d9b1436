/**
 * The package's main entry (`import { definePlugin } from 'dust-shell'`): the public plugin API, the
 * same module as `dust-shell/plugin`. dust itself is the `dust` binary (src/shell/main.ts); nothing
 * else of its internals is public.
 */
export * from './plugins/api.js';
