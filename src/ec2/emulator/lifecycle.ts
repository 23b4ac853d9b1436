import type { InstanceRecord, InstanceStateName, StateReason } from './model.js';

/** How long each transitional state lasts, in ms of the emulator clock. 0 = settles on the next read. */
export interface LifecycleDelays {
  pending: number;
  stopping: number;
  shuttingDown: number;
  /** How long a terminated instance stays visible (EC2: "usually less than one hour"). */
  terminatedVisible: number;
}

export const DEFAULT_DELAYS: Readonly<LifecycleDelays> = {
  pending: 2000,
  stopping: 2000,
  shuttingDown: 2000,
  terminatedVisible: 60 * 60 * 1000,
};

/** What happens to addresses as an instance settles; the core wires these to its address pools. */
export interface LifecycleHooks {
  onStopped(instance: InstanceRecord): void;
  onTerminated(instance: InstanceRecord): void;
}

export const USER_SHUTDOWN: StateReason = {
  code: 'Client.UserInitiatedShutdown',
  message: 'Client.UserInitiatedShutdown: User initiated shutdown',
};
const PENDING_REASON: StateReason = { code: 'pending', message: 'pending' };

/** EC2's `reason` text for user-initiated transitions: `User initiated (2026-01-01 12:00:00 GMT)`. */
export function userInitiatedReason(at: number): string {
  return `User initiated (${new Date(at).toISOString().slice(0, 19).replace('T', ' ')} GMT)`;
}

/** Puts an instance into `state` as of `at`. Actions call this; responses then report the transitional state. */
export function enterState(instance: InstanceRecord, state: InstanceStateName, at: number): void {
  instance.state = state;
  instance.stateSince = at;
  switch (state) {
    case 'pending':
      instance.stateReason = PENDING_REASON;
      instance.transitionReason = '';
      break;
    case 'running':
      instance.stateReason = undefined;
      instance.transitionReason = '';
      break;
    case 'stopping':
    case 'shutting-down':
      instance.stateReason = USER_SHUTDOWN;
      instance.transitionReason = userInitiatedReason(at);
      break;
    default:
      break;
  }
}

/**
 * Advances an instance through every transition whose delay has elapsed by `now`. Lazy: nothing runs
 * on timers, reads settle state. Each step starts when the previous one ended (not at `now`), so a
 * terminated instance's visibility window counts from when it really became terminated.
 * Returns `'expired'` when a terminated instance has outlived its visibility.
 */
export function settle(
  instance: InstanceRecord,
  now: number,
  delays: LifecycleDelays,
  hooks: LifecycleHooks,
): 'live' | 'expired' {
  for (;;) {
    const elapsed = now - instance.stateSince;
    switch (instance.state) {
      case 'pending':
        if (elapsed < delays.pending) return 'live';
        enterState(instance, 'running', instance.stateSince + delays.pending);
        continue;
      case 'stopping':
        if (elapsed < delays.stopping) return 'live';
        instance.state = 'stopped';
        instance.stateSince += delays.stopping;
        hooks.onStopped(instance);
        continue;
      case 'shutting-down':
        if (elapsed < delays.shuttingDown) return 'live';
        instance.state = 'terminated';
        instance.stateSince += delays.shuttingDown;
        hooks.onTerminated(instance);
        continue;
      case 'terminated':
        return elapsed >= delays.terminatedVisible ? 'expired' : 'live';
      default:
        return 'live';
    }
  }
}
