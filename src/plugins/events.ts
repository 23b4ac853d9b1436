import type { DustEvents, EventHandler } from './api.js';

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
