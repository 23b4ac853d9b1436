/**
 * What each node did in the most recent command that ran something on nodes (`@`, `gather`, or a plugin's
 * `sessions.run`), so the next target can pick them out: `@last=failed uptime`, `@rc=2 cat /tmp/log`,
 * `@*!last=ok` (the usual "re-run on the ones that failed" that pssh, pdsh and clush users script by hand).
 *
 * A command that runs nothing on nodes (`show`, `use`) leaves the last result alone; one that does replaces it
 * as a whole, so `last=` always describes one command and nodes outside it have no `last`.
 */
import type { LastRun } from '../plugins/api.js';
import type { PropertyValue } from '../inventory/node.js';

/** Target keys answered from the last result instead of node properties. */
export const LAST_RESULT_KEYS = ['last', 'rc'] as const;

/**
 * A node's outcome as an exit status, the way `clush -S` / `pdsh -S` report it: its exit code; 255 where there is
 * none because the node could not be reached or was given up on (as ssh itself exits 255); 130 when interrupted.
 * Undefined for a node the command never reached (`skipped`) or that is still waiting for input.
 */
export function remoteExitStatus(run: LastRun): number | undefined {
  switch (run.status) {
    case 'ok': return 0;
    case 'failed': return run.exitCode ?? 255;
    case 'unreachable': case 'timeout': return 255;
    case 'interrupted': return run.exitCode ?? 130;
    default: return undefined;
  }
}

export class LastResults {
  private published = new Map<string, LastRun>();
  /**
   * Whether a node's program is still waiting for input now. A node left waiting by an earlier command and not part
   * of the latest one stays `last=waiting` until it is answered: answering 2 of 3 waiting nodes must not make the
   * third vanish from `@last=waiting`.
   */
  stillWaiting: ((nodeName: string) => boolean) | undefined;
  private collecting: Map<string, LastRun> | undefined;
  private depth = 0;
  private maxRc: number | undefined;

  /** A command starts (nested `runLine`s belong to the outermost one). */
  begin(): void {
    if (this.depth++ === 0) {
      this.collecting = new Map();
      this.maxRc = undefined;
    }
  }

  /** One node's outcome within the running command; ignored outside a command (background work of plugins). */
  record(nodeName: string, run: LastRun): void {
    if (!this.collecting) return;
    this.collecting.set(nodeName, run);
    const rc = remoteExitStatus(run);
    if (rc !== undefined) this.maxRc = Math.max(this.maxRc ?? 0, rc);
  }

  /**
   * The largest exit status any node returned during the most recent command (`dust --max-rc`, pdsh/clush -S),
   * undefined when it ran nothing on nodes. Several runs within one command (`runLine` from a plugin) all count.
   */
  get commandMaxRc(): number | undefined {
    return this.maxRc;
  }

  /** The command ended: if it ran anything on nodes, that becomes the last result. */
  end(): void {
    if (this.depth === 0) return;
    if (--this.depth > 0) return;
    if (this.collecting && this.collecting.size > 0) {
      for (const [name, run] of this.published) {
        if (run.status === 'waiting' && !this.collecting.has(name) && this.stillWaiting?.(name)) this.collecting.set(name, run);
      }
      this.published = this.collecting;
    }
    this.collecting = undefined;
  }

  /** True once some command ran on nodes in this session. */
  get any(): boolean {
    return this.published.size > 0;
  }

  /** `3 nodes: 2 ok, 1 failed (rc 2)`, for messages about a `last=` that matched nothing. */
  describe(): string | undefined {
    if (this.published.size === 0) return undefined;
    const counts = new Map<string, number>();
    for (const run of this.published.values()) {
      const key = run.status === 'failed' && run.exitCode !== null ? `failed (rc ${run.exitCode})` : run.status;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const parts = [...counts].map(([k, n]) => `${n} ${k}`);
    return `${this.published.size} node${this.published.size === 1 ? '' : 's'}: ${parts.join(', ')}`;
  }

  /** The node's outcome in the last command; undefined when it was not part of it. */
  get(nodeName: string): LastRun | undefined {
    return this.published.get(nodeName);
  }

  /** The value of `last` or `rc` for a node; undefined when the node was not part of the last command. */
  property(nodeName: string, key: string): PropertyValue {
    const run = this.published.get(nodeName);
    if (!run) return undefined;
    if (key === 'last') return run.status;
    if (key === 'rc') return run.exitCode ?? undefined;
    return undefined;
  }
}
