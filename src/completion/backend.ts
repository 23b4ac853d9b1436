import { PassThrough } from 'node:stream';
import { loadConfig } from '../config/load-config.js';
import { dustHome as defaultDustHome } from '../config/paths.js';
import { TerminalOutput } from '../output/terminal-output.js';
import { composeDust } from '../compose.js';
import { complete } from '../shell/completer.js';
import { NoTerminalPrompter } from '../shell/prompter.js';

/**
 * What shell completion asks dust itself: how a dust line (`dust -c '…'`, `dust emulator …`) continues —
 * commands, flags, targets, node and cluster names — exactly as Tab at the dust prompt would answer.
 */
export interface CompletionBackend {
  /** Candidates for the end of `line`, and the text at its end they replace (readline's completer contract). */
  completeLine(line: string): Promise<{ candidates: string[]; replaced: string }>;
  close(): Promise<void>;
}

/**
 * Today's backend: a DustApp built from the config, with the built-ins (EC2's commands too) and the user's
 * plugins, its inventory from the static nodes and ssh config hosts — and no cloud: a Tab must not wait for EC2. Nothing connects
 * anywhere (sessions open on first use, and nothing here uses one).
 *
 * The hook for later: a running dust (a server holding the live inventory, EC2 included) would be another
 * CompletionBackend answering completeLine over its socket; openCompletionBackend picks it when one is
 * listening and falls back to this one.
 */
export async function openCompletionBackend(opts: { configFile: string | undefined; version: string }): Promise<CompletionBackend> {
  const home = defaultDustHome();
  const loaded = await loadConfig({ explicitFile: opts.configFile, dustHome: home });
  const sink = new PassThrough();
  sink.resume(); // warnings about plugins or providers have no place in a completion menu
  const out = new TerminalOutput(sink, sink, { color: false, debug: false });
  const prompt = new NoTerminalPrompter();
  // The one composition root, with EC2 off: the EC2 commands are there for completion, and Tab never waits on
  // the cloud (assign's login rules are part of the core).
  const app = await composeDust({
    version: opts.version, dustHome: home, loaded: { ...loaded, config: { ...loaded.config, ec2: { ...loaded.config.ec2, enabled: false } } },
    out, prompt, interactive: false,
    terminal: { withTerminal: () => Promise.reject(new Error('no terminal while completing')) },
  });
  return {
    async completeLine(line) {
      const [candidates, replaced] = await complete(line, app.registry, app.state, (name) => app.contributions.use(name));
      return { candidates, replaced };
    },
    close: () => app.shutdown(),
  };
}
