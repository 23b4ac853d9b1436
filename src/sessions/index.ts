/** The session layer: persistent shells (line mode and raw shell) over any transport. */
export { SessionManager, type SessionManagerOptions } from './session-manager.js';
export {
  OUTPUT_KEPT,
  type AttachOutcome, type RawTerminal, type SessionEvent, type SessionRunResult, type SessionState,
} from './node-session.js';
export { LineDemux, type LineSink } from './demux.js';
export { toNodeFailure, describeFailure, type NodeFailure } from './node-failure.js';
export type * from './transport.js';
