/**
 * Bounds how many exec streams are being opened at once. Each is a TLS handshake plus an upgrade the API server
 * proxies to a kubelet; `@* cmd` on 500 pods must not arrive as one burst that API Priority and Fairness answers
 * with 429s. Open streams are not counted.
 */
export { ConcurrencyLimit as StartLimiter } from '../sessions/concurrency-limit.js';
