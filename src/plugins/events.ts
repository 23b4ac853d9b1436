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

  constructor(private readonly report: (plugin: string, event: string, error: unknown) => void) {}

  on<E extends keyof DustEvents>(event: E, plugin: string, handler: EventHandler<E>): void {
    const list = this.handlers.get(event) ?? [];
    list.push({ plugin, handler } as unknown as HandlerEntry<keyof DustEvents>);
    this.handlers.set(event, list);
  }

  removePlugin(plugin: string): void {
    for (const [event, list] of this.handlers) this.handlers.set(event, list.filter((h) => h.plugin !== plugin));
  }

  /** Fire and forget. Returns a promise that settles when every handler has (for tests and orderly exit). */
  emit<E extends keyof DustEvents>(event: E, payload: DustEvents[E]): Promise<void> {
    const list = (this.handlers.get(event) ?? []) as unknown as HandlerEntry<E>[];
    const runs = list.map((h) => new Promise<void>((resolve) => {
      setImmediate(() => {
        Promise.resolve()
          .then(() => h.handler(payload))
          .catch((error: unknown) => this.report(h.plugin, event, error))
          .finally(resolve);
      });
    }));
    return Promise.all(runs).then(() => undefined);
  }
}
