import path from 'node:path';
import type { DustApp } from './app.js';
import type { ShellRuntime } from './runtime.js';
import { complete } from './completer.js';

/** The interactive shell's lines run by the engine in this process, as its primary client. */
export function localRuntime(app: DustApp): ShellRuntime {
  return {
    version: app.state.version,
    historyFile: path.join(app.state.dustHome, 'history'),
    historySize: app.state.dustConfig.history.size ?? 5000,
    promptText: () => app.state.promptText(),
    complete: (line) => complete(line, app.registry, app.state, (name) => app.contributions.use(name)),
    answeringSecret: () => app.sessions.anyWaitingForSecret(),
    runLine: (line) => app.runner.runLine(line),
    interrupt: () => app.runner.interrupt(),
    onContextChange: (listener) => { app.state.onContextChange = listener; },
    onExit: (listener) => { app.onExitRequested = (c) => { if (c === app.client) listener(); }; },
    shutdown: () => app.shutdown(),
  };
}
