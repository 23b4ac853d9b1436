/** The session layer's public surface: persistent multiplexed SSH shells (line mode and raw shell). */
export { SessionManager, type SessionManagerOptions } from './session-manager.js';
export {
  describeSshError,
  type AttachOutcome, type HostKeyVerdict, type LoginInfo, type RawTerminal, type SessionEvent, type SessionRunResult,
  type SessionState,
} from './session.js';
export { LineDemux, type LineSink } from './demux.js';
export { HandshakePool, isRetryableHandshakeError } from './pool.js';
