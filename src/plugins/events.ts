import type { DustEvents, EventHandler } from './api.js';
import { DustError, formatError, isDustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

/** Events whose handlers change what is about to happen (run in order, awaited) rather than hear what did. */
export type HookEvent = 'pod:spec';

export interface HandlerEntry<E extends keyof DustEvents> {
  plugin: string;
  handler: EventHandler<E>;
}

/**
 * Delivers events to plugin handlers without ever blocking the shell: handlers run after the current
 * tick, a throwing or rejecting handler is reported once per plugin and event with its plugin's name,
 * and a slow one is simply not waited for (emit does not return its promise to the caller).
 */
export class EventBus {
  private readonly handlers = new Map<keyof DustEvents, HandlerEntry<keyof DustEvents>[]>();
  /** `plugin\0event` pairs already reported: a handler that fails on every command warns once, not every time. */
  private readonly reported = new Set<string>();

  constructor(private readonly report: (plugin: string, event: string, error: unknown) => void) {}

  on<E extends keyof DustEvents>(event: E, plugin: string, handler: EventHandler<E>): void {
    const list = this.handlers.get(event) ?? [];
    list.push({ plugin, handler } as unknown as HandlerEntry<keyof DustEvents>);
    this.handlers.set(event, list);
  }

  removePlugin(plugin: string): void {
    for (const [event, list] of this.handlers) this.handlers.set(event, list.filter((h) => h.plugin !== plugin));
    for (const key of this.reported) if (key.startsWith(`${plugin}\0`)) this.reported.delete(key);
  }

  /** Fire and forget. Returns a promise that settles when every handler has (for tests and orderly exit). */
  emit<E extends keyof DustEvents>(event: E, payload: DustEvents[E]): Promise<void> {
    const list = (this.handlers.get(event) ?? []) as unknown as HandlerEntry<E>[];
    const runs = list.map((h) => new Promise<void>((resolve) => {
      setImmediate(() => {
        Promise.resolve()
          .then(() => h.handler(payload))
          .catch((error: unknown) => this.reportOnce(h.plugin, event, error))
          .finally(resolve);
      });
    }));
    return Promise.all(runs).then(() => undefined);
  }

  /**
   * Runs a hook event's handlers one after another in plugin order, each awaited, so each sees what the previous
   * one changed in `payload`. A handler that throws, or does not settle within `timeoutMs`, rejects with a
   * `DUST_PLUGIN_ERROR` naming the plugin: the caller fails that one operation (a pod), and the shell goes on.
   */
  async runHook<E extends HookEvent>(event: E, payload: DustEvents[E], opts: { timeoutMs?: number } = {}): Promise<void> {
    const list = [...((this.handlers.get(event) ?? []) as unknown as HandlerEntry<E>[])];
    const timeoutMs = opts.timeoutMs ?? 30_000;
    for (const h of list) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new DustError(ErrorCodes.PluginError, `plugin '${h.plugin}' did not finish handling ${event} within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`, {
          hint: 'a pod:spec handler must return (or resolve) promptly; fix or remove the plugin',
        })), timeoutMs);
        timer.unref();
      });
      try {
        await Promise.race([Promise.resolve().then(() => h.handler(payload)), timeout]);
      } catch (error) {
        if (isDustError(error) && error.code === ErrorCodes.PluginError) throw error;
        throw new DustError(ErrorCodes.PluginError, `plugin '${h.plugin}' failed handling ${event}: ${isDustError(error) ? error.message : formatError(error)}`, {
          hint: 'the plugin\'s handler threw; fix or remove the plugin (--verbose shows the stack)', cause: error,
        });
      } finally {
        clearTimeout(timer);
      }
    }
  }

  private reportOnce(plugin: string, event: string, error: unknown): void {
    const key = `${plugin}\0${event}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    try {
      this.report(plugin, event, error);
    } catch {
      // reporting must never turn a plugin's failure into the shell's
    }
  }
}
