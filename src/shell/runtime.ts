/**
 * What the interactive shell (line editor, history, keyboard) needs from whatever runs its lines: the engine in
 * this process, or a `dust serve` over its socket (mongosh's Runtime: one shell, the evaluation elsewhere).
 */
export interface ShellRuntime {
  readonly version: string;
  /** Where this shell keeps its history (the client's, even when attached to a server). */
  readonly historyFile: string;
  readonly historySize: number;
  promptText(): string;
  complete(line: string): Promise<[string[], string]>;
  /** Some node waits at a password prompt: the next line is an answer and stays out of history. */
  answeringSecret(): boolean;
  runLine(line: string): Promise<boolean>;
  /** Ctrl-C: interrupts the running line; false when nothing runs. */
  interrupt(): boolean;
  /** The prompt context changed (use, region). */
  onContextChange(listener: () => void): void;
  /** A line asked this shell to leave (exit). */
  onExit(listener: () => void): void;
  /** Leaving: the in-process engine closes its sessions; an attached client just disconnects. */
  shutdown(): Promise<void>;
}
