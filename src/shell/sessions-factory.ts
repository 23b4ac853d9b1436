import type { Output, SessionsApi } from '../plugins/api.js';
import type { EventBus } from '../plugins/events.js';
import type { ShellState } from './shell-state.js';
import type { DustConfig } from '../config/schema.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

/** Placeholder until src/ssh is wired in: every use says so clearly. */
export function createSessions(_deps: { state: ShellState; events: EventBus; out: Output; config: DustConfig }): SessionsApi & { closeAll(): Promise<void> } {
  const unavailable = (): never => {
    throw new DustError(ErrorCodes.SshConnect, 'SSH sessions are not available in this build');
  };
  return {
    run: () => Promise.resolve(unavailable()),
    attach: () => Promise.resolve(unavailable()),
    connected: () => [],
    close: () => Promise.resolve(),
    closeAll: () => Promise.resolve(),
  };
}
