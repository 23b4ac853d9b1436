import { setMaxListeners } from 'node:events';
import type { CommandContext, Output, Prompter, SessionsApi, RegisteredCommand } from '../plugins/api.js';
import type { CommandRegistry } from '../plugins/registry.js';
import type { EventBus } from '../plugins/events.js';
import type { DustNode } from '../inventory/node.js';
import type { ShellState } from './shell-state.js';
import { parseLine } from './parse-line.js';
import { parseFlags } from './parse-flags.js';
import { splitFirstWord, tokenize, UnclosedQuoteError } from './tokenize.js';
import { spawnLocal, type LocalRunOptions, type LocalRunResult } from './local-run.js';
import { DustError, isDustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { foldNodeNames, describeNoMatch } from '../targets/index.js';

export interface TerminalHost {
  withTerminal<T>(fn: (io: { input: NodeJS.ReadStream; output: NodeJS.WriteStream }) => Promise<T>): Promise<T>;
  /** Runs a line in the client's local shell (a remote client runs it on its own machine). Default: here. */
  runLocal?(command: string, opts: LocalRunOptions): Promise<LocalRunResult>;
}

export interface RunnerDeps {
  registry: CommandRegistry;
  state: ShellState;
  out: Output;
  prompt: Prompter;
  sessions: SessionsApi;
  events: EventBus;
  terminal: TerminalHost;
  /** A person at a terminal types the lines (questions can be asked, remote prompts answered). */
  interactive: boolean;
  /** The client's working directory (local paths are relative to it). */
  cwd?: () => string;
  /** Node names whose output lines this client hides (`mute`). */
  muted?: Set<string>;
  /** What plugins provided by name (`ctx.use('ec2')`). */
  use?: (name: string) => unknown;
  requestExit(): void;
}

/**
 * Turns one input line into a command invocation: parse, resolve the target, build the context, run,
 * and report. Every failure ends here as one line; nothing a command does can throw past it.
 */
export class CommandRunner {
  private current: AbortController | undefined;
  private ownStatus: number | undefined;

  /** The exit status the last line's command returned itself (a number above 0), undefined when it returned none. */
  get lastCommandStatus(): number | undefined {
    return this.ownStatus;
  }

  constructor(private readonly deps: RunnerDeps) {}

  /** True while a command runs (Ctrl-C then aborts it instead of clearing the prompt line). */
  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Ctrl-C while a command runs. Returns false when nothing was running. */
  interrupt(): boolean {
    if (!this.current) return false;
    this.current.abort(new DustError(ErrorCodes.CommandFailed, 'interrupted'));
    return true;
  }

  async runLine(line: string): Promise<boolean> {
    const { registry, out, events } = this.deps;
    let parsed;
    try {
      parsed = parseLine(line, registry);
    } catch (err) {
      out.error(err);
      return false;
    }
    if (!parsed) {
      if (line.trim() === '') return true;
      out.error(new DustError(ErrorCodes.UnknownCommand, `unknown command '${line.trim().split(/\s+/)[0] ?? ''}'`, { hint: 'type help for the list' }));
      return false;
    }
    const started = Date.now();
    const outer = this.current;
    const controller = new AbortController();
    // Every node's run listens for Ctrl-C on this one signal; 200 nodes are not a leak.
    setMaxListeners(0, controller.signal);
    // A nested runLine (a command running another) shares the outer Ctrl-C.
    outer?.signal.addEventListener('abort', () => controller.abort(outer.signal.reason), { once: true });
    this.current = controller;
    let ok = false;
    let error: unknown;
    if (!outer) this.ownStatus = undefined;
    this.deps.state.lastResults.begin();
    try {
      const ctx = await this.buildContext(parsed.command, line, parsed.raw, parsed.gluedTarget, controller.signal);
      if (!ctx) return (ok = false);
      void events.emit('command:before', { line, command: parsed.command.spec.name, nodes: ctx.nodes });
      const result = await parsed.command.spec.run(ctx);
      ok = result !== false && (typeof result !== 'number' || result === 0);
      // A command's own number (a submitted job's exit code) is the script's exit status, as `ssh host cmd` does.
      if (!outer && typeof result === 'number' && Number.isInteger(result) && result > 0) this.ownStatus = Math.min(result, 255);
    } catch (err) {
      error = err;
      out.error(wrapPluginError(parsed.command, err));
    } finally {
      this.deps.state.lastResults.end();
      this.current = outer;
      void events.emit('command:after', { line, command: parsed.command.spec.name, ok, durationMs: Date.now() - started, ...(error === undefined ? {} : { error }) });
    }
    return ok;
  }

  private async buildContext(cmd: RegisteredCommand, line: string, raw: string, gluedTarget: string | undefined, signal: AbortSignal): Promise<CommandContext | undefined> {
    const { spec } = cmd;
    const { state, out } = this.deps;
    let args: string[] = [];
    let flags: CommandContext['flags'] = {};
    let positionals: string[] = [];
    const isPrefix = spec.prefix !== undefined && line.trim().startsWith(spec.prefix);
    if (spec.remoteCommand && !isPrefix) {
      // Like a prefix command spelled out: target word, then the remote command line untouched. The command's
      // own flags may come first (`gather --diff * cat /etc/hosts`); a target never starts with '-'.
      let [word, rest] = splitFirstWord(raw);
      const leading: string[] = [];
      while (word.startsWith('-') && spec.flags) {
        leading.push(word);
        [word, rest] = splitFirstWord(rest);
        // `--timeout 30`: a flag that takes a value takes the next word too (unless written `--timeout=30`).
        if (!leading.at(-1)!.includes('=') && takesValue(spec, leading.at(-1)!) && word !== '') {
          leading.push(word);
          [word, rest] = splitFirstWord(rest);
        }
      }
      if (leading.length > 0) ({ flags } = parseFlags(spec, leading));
      gluedTarget = word === '' ? undefined : word;
      raw = rest;
    } else if (!isPrefix && !spec.fallback) {
      try {
        args = tokenize(raw);
      } catch (err) {
        if (err instanceof UnclosedQuoteError) throw new DustError(ErrorCodes.Usage, `${spec.name}: ${err.message}`, { hint: `usage: ${spec.usage}` });
        throw err;
      }
      ({ flags, positionals } = parseFlags(spec, args));
    }
    let target: string | undefined = gluedTarget;
    const mode = spec.target?.mode ?? 'none';
    if (mode !== 'none' && !isPrefix && !spec.remoteCommand) {
      const pos = spec.target?.position ?? 0;
      if (positionals.length > pos) {
        target = positionals[pos];
        positionals = positionals.filter((_, i) => i !== pos);
      }
    }
    if (mode === 'required' && (target === undefined || target === '')) {
      throw new DustError(ErrorCodes.Usage, `${spec.name}: a target is required`, { hint: `usage: ${spec.usage}` });
    }
    let nodes: DustNode[] = [];
    let skipped: DustNode[] = [];
    if (mode !== 'none') {
      const resolved = await state.resolveTarget(target);
      if (resolved.length === 0 && !spec.target?.emptyOk) {
        if (target === undefined || target === '' || target === '*') {
          out.warn(state.workingCluster ? `no nodes in the working set '${state.workingCluster}'` : 'no nodes in the inventory');
          return undefined;
        }
        throw describeNoMatch(target, state.lastResults.describe());
      }
      const states = spec.target?.states;
      nodes = states ? resolved.filter((n) => states.includes(n.state)) : resolved;
      skipped = states ? resolved.filter((n) => !states.includes(n.state)) : [];
      if (nodes.length === 0 && skipped.length > 0) {
        throw new DustError(ErrorCodes.TargetNoMatch,
          `${spec.name}: no targeted node is ${states!.join(' or ')} (${skipped.length} ${describeStates(skipped)}: ${foldNodeNames(skipped.map((n) => n.name))})`,
          { hint: skipped.every((n) => n.state === 'stopped' || n.state === 'stopping') ? 'start them first, or pick other nodes' : 'pick other nodes; `show -v` gives each one\'s state (a pod\'s also why it is not running)' });
      }
    }
    return {
      command: spec.name,
      line,
      raw,
      args,
      flags,
      positionals,
      target,
      nodes,
      skipped,
      state,
      out,
      prompt: this.deps.prompt,
      signal,
      interactive: this.deps.interactive,
      use: <T>(name: string) => this.deps.use?.(name) as T | undefined,
      fail: (message, opts = {}) => {
        const code = opts.code && /^[A-Z][A-Z0-9_]{2,63}$/.test(opts.code) ? opts.code : ErrorCodes.PluginFailed;
        throw new DustError(code as typeof ErrorCodes.PluginFailed, message, opts.hint ? { hint: opts.hint } : {});
      },
      cwd: this.deps.cwd?.() ?? process.cwd(),
      muted: this.deps.muted ?? new Set<string>(),
      sessions: this.deps.sessions,
      runLine: (l) => this.runLine(l),
      withTerminal: (fn) => this.deps.terminal.withTerminal(fn),
      runLocal: (command, opts = {}) => {
        const local: LocalRunOptions = { cwd: this.deps.cwd?.() ?? process.cwd(), captureStdout: opts.captureStdout ?? false };
        const terminal = this.deps.terminal;
        if (terminal.runLocal) return terminal.runLocal(command, local);
        return local.captureStdout ? spawnLocal(command, local) : terminal.withTerminal(() => spawnLocal(command, local));
      },
      requestExit: () => this.deps.requestExit(),
    };
  }
}

/** Whether a leading `--name` / `-x` of the command is a flag that takes a value. */
function takesValue(spec: RegisteredCommand['spec'], word: string): boolean {
  const flags = spec.flags ?? {};
  if (word.startsWith('--')) return flags[word.slice(2)]?.type === 'string';
  if (word.length === 2) return Object.values(flags).some((f) => f.short === word.slice(1) && f.type === 'string');
  return false;
}

function describeStates(nodes: readonly DustNode[]): string {
  const states = [...new Set(nodes.map((n) => n.state))];
  return states.join('/');
}

/** Built-ins speak for themselves; anything else that throws is named after its plugin (Rollup's rule). */
function wrapPluginError(cmd: RegisteredCommand, err: unknown): unknown {
  if (isDustError(err) || cmd.plugin.startsWith('builtin')) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new DustError(ErrorCodes.PluginError, `plugin '${cmd.plugin}' failed in command '${cmd.spec.name}': ${msg.split('\n')[0] ?? ''}`, {
    hint: 'run with --verbose (or DUST_DEBUG=1) for the stack trace; report it to the plugin author',
    cause: err,
  });
}
