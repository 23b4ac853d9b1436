/**
 * An in-memory transport for the session engine's edge cases (ssh2's in-process fake servers play the same
 * role there): every byte dust writes goes to a script, which answers with the bytes a shell would print. Real
 * sshd and the Kubernetes emulator cover the transports end to end; this covers orderings a real shell only
 * produces under a race (a ^C that arrives before the shell read the line, a marker split across chunks).
 */
import type { DustNode } from '../../src/inventory/node.js';
import type { ChannelEnd, RemoteFiles, ShellChannel, ShellRequest, Transport } from '../../src/sessions/transport.js';

/** What the script sees and can do. */
export interface ScriptedShell {
  /** Prints bytes as the remote terminal would. */
  emit(text: string): void;
  /** Prints a prompt marker as dust's PS1 does: `\r\n__DUST_<token>_<rc>_<pid>_b_<cwd>__\r\n`. */
  prompt(token: string, rc?: number, cwd?: string): void;
  /** Ends the channel. */
  end(end: ChannelEnd): void;
  /** The token the shell's `__dust_t` holds now (set by the bootstrap and by each command line). */
  token: string;
  readonly pid: number;
  readonly node: DustNode;
}

export type ShellScript = (written: string, shell: ScriptedShell) => void;

class ScriptedChannel implements ShellChannel {
  private dataListeners: ((d: Buffer) => void)[] = [];
  private closeListeners: ((e: ChannelEnd) => void)[] = [];
  private pending: Buffer[] = [];
  private ended = false;
  readonly shell: ScriptedShell;

  constructor(node: DustNode, request: ShellRequest, private readonly script: ShellScript, pid: number) {
    const self = this;
    this.shell = {
      node,
      pid,
      token: /__dust_t=(\w+)/.exec(request.command)?.[1] ?? '',
      emit: (text) => self.push(Buffer.from(text, 'utf8')),
      prompt(token, rc = 0, cwd = '/home/fake') { self.push(Buffer.from(`\r\n__DUST_${token}_${rc}_${pid}_b_${cwd}__\r\n`)); },
      end: (e) => self.finish(e),
    };
    const boot = /printf "__DUST_%s__ " (\w+)/.exec(request.command)?.[1];
    // The bootstrap: boot marker, then the first prompt (the ready marker), as a real shell prints them.
    queueMicrotask(() => {
      this.push(Buffer.from(`__DUST_${boot}__ `));
      this.shell.prompt(this.shell.token);
    });
  }

  private push(b: Buffer): void {
    if (this.ended) return;
    if (this.dataListeners.length === 0) this.pending.push(b);
    else for (const l of this.dataListeners) l(b);
  }

  private finish(e: ChannelEnd): void {
    if (this.ended) return;
    this.ended = true;
    for (const l of this.closeListeners) l(e);
  }

  write(data: string | Uint8Array): void {
    if (this.ended) return;
    const text = Buffer.from(data).toString('utf8');
    const set = /^__dust_t=(\w+); /.exec(text);
    if (set) this.shell.token = set[1]!;
    queueMicrotask(() => this.script(text, this.shell));
  }

  onData(listener: (data: Buffer) => void): void {
    this.dataListeners.push(listener);
    for (const b of this.pending.splice(0)) listener(b);
  }

  onClose(listener: (end: ChannelEnd) => void): void {
    this.closeListeners.push(listener);
  }

  resize(): void {}

  close(): void {
    this.finish({ kind: 'exited', exitCode: 0 });
  }
}

/** A Transport whose shells follow `script`; `channels` holds every channel opened, newest last. */
export class ScriptedTransport implements Transport {
  readonly name = 'scripted';
  readonly channels: ScriptedChannel[] = [];
  private nextPid = 4000;

  constructor(private readonly script: ShellScript) {}

  claims(): boolean {
    return true;
  }

  openShell(node: DustNode, request: ShellRequest): Promise<ShellChannel> {
    const ch = new ScriptedChannel(node, request, this.script, this.nextPid++);
    this.channels.push(ch);
    return Promise.resolve(ch);
  }

  files(): Promise<RemoteFiles> {
    return Promise.reject(new Error('no files in the scripted transport'));
  }

  disconnect(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
