/**
 * Bounds how many SSH handshakes are in flight at once. Handshakes are CPU-bound on both ends, and OpenSSH's
 * MaxStartups (10:30:100 by default) drops bursts of unauthenticated connections; 32 in flight was the
 * measured best on a 2-core machine (test-cluster.md). Established sessions are not counted.
 */
export { ConcurrencyLimit as HandshakePool } from '../sessions/concurrency-limit.js';

/**
 * Errors a server gives when it sheds load during the handshake (MaxStartups): worth retrying with backoff.
 * A refused or timed-out connect is not: the node is down, and retrying would only delay the report.
 */
export function isRetryableHandshakeError(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  return /kex_exchange_identification|Connection closed by remote host|Connection lost before handshake/i.test(msg)
    || code === 'ECONNRESET';
}

/** Backoff before retry `attempt` (0-based): 150 ms doubling, with jitter so retries do not arrive as a new burst. */
export function handshakeBackoffMs(attempt: number): number {
  const base = 150 * 2 ** attempt;
  return base + Math.floor(Math.random() * base);
}
