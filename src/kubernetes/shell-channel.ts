import type { ChannelEnd, ShellChannel, TerminalSize } from '../sessions/transport.js';
import { exitFromStatus } from './exec-protocol.js';
import type { ExecSocketEnd } from './exec-socket.js';
import { explainLoss, type PodLookup, type StartedCommand } from './exec-start.js';

/**
 * A persistent shell in a pod: one TTY exec stream (stdout and stderr merged, as a terminal shows them), resize on
 * channel 4, the exit status from channel 3. A stream that ends without a status was lost; why (pod deleted,
 * container stopped, connection dropped, kubelet idle timeout) is asked of the API server before `onClose` fires.
 */
export class KubeShellChannel implements ShellChannel {
  private dataListener: ((data: Buffer) => void) | undefined;
  private readonly pending: Buffer[] = [];
  private closeListener: ((end: ChannelEnd) => void) | undefined;
  private result: ChannelEnd | undefined;
  private reported = false;

  constructor(
    private readonly started: StartedCommand,
    private readonly lookup: PodLookup,
  ) {
    started.attach({
      onStdout: (data) => {
        if (this.dataListener) this.dataListener(data);
        else this.pending.push(data);
      },
      onEnd: (end) => {
        void this.settle(end).then((result) => {
          this.result = result;
          this.report();
        });
      },
    });
  }

  write(data: string | Uint8Array): void {
    this.started.socket.writeStdin(data);
  }

  onData(listener: (data: Buffer) => void): void {
    this.dataListener = listener;
    for (const chunk of this.pending.splice(0)) listener(chunk);
  }

  onClose(listener: (end: ChannelEnd) => void): void {
    this.closeListener = listener;
    this.report();
  }

  resize(size: TerminalSize): void {
    this.started.socket.resize(size);
  }

  close(): void {
    this.started.socket.close();
  }

  private async settle(end: ExecSocketEnd): Promise<ChannelEnd> {
    if (end.status) {
      const outcome = exitFromStatus(end.status);
      if ('exitCode' in outcome) return { kind: 'exited', exitCode: outcome.exitCode };
      return { kind: 'lost', reason: `exec failed: ${outcome.error}` };
    }
    if (end.byUs) return { kind: 'exited', exitCode: null };
    return { kind: 'lost', reason: await explainLoss(end, this.started.ref, this.lookup) };
  }

  private report(): void {
    if (this.reported || !this.result || !this.closeListener) return;
    this.reported = true;
    this.closeListener(this.result);
  }
}
