/**
 * `error` of an interrupted result whose program did not stop within the grace period: it still owns the node's
 * terminal, so the node's next `@` line is typed into that program rather than run as a command.
 */
export const STILL_RUNNING = 'still running: ^C did not stop it';
