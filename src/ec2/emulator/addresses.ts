/**
 * Where instance addresses come from. A list is handed out first-free-first; a generator is called
 * until it yields an address not in use (or `undefined`: exhausted).
 */
export type AddressSource = readonly string[] | (() => string | undefined);

/** Public and private address sources. */
export interface AddressPoolOptions {
  /**
   * Public addresses. Default: 198.51.100.1–254 (TEST-NET-2, RFC 5737). Documentation ranges are
   * never routed, so an address that leaks into a real `ssh` fails fast instead of reaching a stranger's
   * machine; they are for display. Point tests and the demo at loopback SSH nodes with
   * e.g. `['127.0.0.2', '127.0.0.3']`, or pin per instance.
   */
  public?: AddressSource;
  /** Private addresses. Default: 172.31.0.10 upwards (the default VPC's 172.31.0.0/16). */
  private?: AddressSource;
}

/** Generator walking 198.51.100.1 … 198.51.100.254. */
export function documentationRangePool(): () => string | undefined {
  let next = 1;
  return () => (next <= 254 ? `198.51.100.${next++}` : undefined);
}

/**
 * Public addresses on loopback with nothing listening (127.0.1.1 upwards): for the demo and `dust emulator`,
 * where a user may well type `@* uptime` at instances that no SSH server stands behind. The connection is
 * refused at once and never leaves the machine (the documentation range would be routed outward).
 */
export function loopbackPublicPool(): () => string | undefined {
  let n = 0;
  return () => {
    if (n >= 254 * 254) return undefined;
    const address = `127.0.${1 + Math.floor(n / 254)}.${(n % 254) + 1}`;
    n++;
    return address;
  };
}

/** Generator walking 172.31.0.10 upwards through the /16, skipping .0 and .255 host bytes. */
export function defaultVpcPrivatePool(): () => string | undefined {
  let n = 10;
  return () => {
    while (n < 65536) {
      const value = n++;
      const low = value & 255;
      if (low !== 0 && low !== 255) return `172.31.${value >> 8}.${low}`;
    }
    return undefined;
  };
}

/** Hands out addresses and takes them back. One pool per kind, shared by all regions of a core. */
export class AddressPool {
  private readonly inUse = new Map<string, number>();

  constructor(private readonly source: AddressSource) {}

  /** A free address from the source, now marked in use; `undefined` when the source is exhausted. */
  allocate(): string | undefined {
    if (typeof this.source !== 'function') {
      const free = this.source.find((a) => !this.inUse.has(a));
      if (free !== undefined) this.reserve(free);
      return free;
    }
    // A generator may repeat itself (e.g. a cycling one); bound the search so exhaustion terminates.
    for (let attempts = 0; attempts < 100_000; attempts++) {
      const candidate = this.source();
      if (candidate === undefined) return undefined;
      if (!this.inUse.has(candidate)) {
        this.reserve(candidate);
        return candidate;
      }
    }
    return undefined;
  }

  /** Marks an address used (pinned addresses may be shared, hence a count). */
  reserve(address: string): void {
    this.inUse.set(address, (this.inUse.get(address) ?? 0) + 1);
  }

  release(address: string | undefined): void {
    if (address === undefined) return;
    const count = this.inUse.get(address) ?? 0;
    if (count <= 1) this.inUse.delete(address);
    else this.inUse.set(address, count - 1);
  }

  isInUse(address: string): boolean {
    return this.inUse.has(address);
  }
}
