/**
 * `dust serve [--socket PATH] [--connect TARGET] [--quiet]`: the engine with no terminal, holding the sessions
 * for clients on a unix socket. Prints `dust is up` on stderr once it listens (`dust is failing: …` and exit 1
 * if it cannot), logs on stderr, and on SIGINT/SIGTERM closes every session and removes the socket.
 */
import { parseArgs } from 'node:util';
import { dustHome as defaultDustHome } from '../config/paths.js';
import { loadConfig } from '../config/load-config.js';
import { TerminalOutput } from '../output/terminal-output.js';
import { ensureDustHome } from './app.js';
import { composeDust } from '../compose.js';
import { NoTerminalPrompter } from './prompter.js';
import { DustServer } from '../server/server.js';
import { defaultSocketPath } from '../server/socket-path.js';
import { formatError } from '../errors/dust-error.js';

export const SERVE_USAGE = 'usage: dust serve [--socket PATH] [--connect TARGET] [--quiet] [--config FILE] [--demo] [--region R] [--profile P] [--endpoint-url URL] [--kube-context NAME] [--kubeconfig FILE] [--namespace NS]';

export async function runServe(argv: readonly string[], version: string): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv], strict: true, allowPositionals: false,
      options: {
        socket: { type: 'string' }, connect: { type: 'string' }, quiet: { type: 'boolean', short: 'q' },
        config: { type: 'string' }, demo: { type: 'boolean' }, region: { type: 'string' }, profile: { type: 'string' },
        'endpoint-url': { type: 'string' }, verbose: { type: 'boolean', short: 'v' },
        'kube-context': { type: 'string' }, kubeconfig: { type: 'string' }, namespace: { type: 'string' },
      },
    }));
  } catch (err) {
    process.stderr.write(`dust serve: ${(err as Error).message}\n${SERVE_USAGE}\n`);
    return 2;
  }
  const failing = (why: string): number => {
    process.stderr.write(`dust is failing: ${why}\n`);
    return 1;
  };
  const out = new TerminalOutput(process.stderr, process.stderr, { color: false, debug: values.verbose === true });
  const log = {
    info: (line: string) => { if (!values.quiet) process.stderr.write(`dust serve: ${line}\n`); },
    warn: (line: string) => process.stderr.write(`dust serve: ${line}\n`),
  };
  const home = defaultDustHome();
  let app;
  try {
    ensureDustHome(home);
    const loaded = await loadConfig({ explicitFile: values.config, dustHome: home });
    app = await composeDust({
      version, dustHome: home, loaded, out, prompt: new NoTerminalPrompter(), interactive: false, label: 'server',
      terminal: { withTerminal: () => Promise.reject(new Error('the server has no terminal')) },
      demo: values.demo === true,
      cli: { region: values.region, profile: values.profile, endpointUrl: values['endpoint-url'] },
      kube: { kubeconfig: values.kubeconfig, context: values['kube-context'], namespace: values.namespace },
      onDemo: (banner) => { for (const line of banner.split('\n')) log.info(line); },
    });
  } catch (err) {
    return failing(formatError(err));
  }
  // The server's own client prints into the log: warnings from the engine land there, never in a client's output.
  const socketPath = values.socket ?? defaultSocketPath(home);
  const server = new DustServer(app, socketPath, log);
  try {
    await server.listen();
  } catch (err) {
    await app.shutdown();
    return failing(formatError(err));
  }
  if (values.connect) {
    try {
      const nodes = (await app.state.resolveTarget(values.connect)).filter((n) => n.state === 'running');
      const failures = await app.manager.connect(nodes);
      log.info(`connected ${nodes.length - failures.size} of ${nodes.length} node(s)`);
      for (const [node, why] of failures) log.warn(`${node}: ${why}`);
    } catch (err) {
      await server.close('it could not start');
      return failing(formatError(err));
    }
  }
  log.info(`listening on ${socketPath} (pid ${process.pid})`);
  process.stderr.write('dust is up\n');
  // A stray error in a plugin's timer must not take every client's sessions down with it.
  process.on('uncaughtException', (err) => log.warn(`unexpected error: ${formatError(err)}`));
  process.on('unhandledRejection', (err) => log.warn(`unexpected error: ${formatError(err)}`));
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      log.info(`${signal}: closing every session`);
      void server.close(`${signal} on the server`).then(() => resolve(0), () => resolve(1));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
