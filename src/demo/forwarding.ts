/**
 * Local port forwarding on a demo node (`direct-tcpip` channels: `ssh -L`, ssh2's forwardOut, `cluster
 * dashboard`), as sshd's AllowTcpForwarding does it, but only to loopback: a demo node is this machine, and
 * nothing the demo does may reach beyond it. The node connects to the destination itself and pipes the channel
 * through; a refused connection refuses the channel, as sshd does ("open failed: connect failed").
 */
import net from 'node:net';
import type { AcceptConnection, RejectConnection, ServerChannel, TcpipRequestInfo } from 'ssh2';

/** 127.0.0.0/8, ::1 and `localhost`: the only destinations a demo node forwards to. */
export function isLoopbackDestination(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  return mapped !== null && mapped[1]!.startsWith('127.');
}

/** Sockets of one node's forwards, so stopping the node (an instance going down) drops them too. */
export class ForwardTable {
  readonly #sockets = new Set<net.Socket>();

  /** Serves one `direct-tcpip` request. */
  serve(accept: AcceptConnection<ServerChannel>, reject: RejectConnection, info: TcpipRequestInfo): void {
    if (!isLoopbackDestination(info.destIP) || !(info.destPort > 0 && info.destPort < 65536)) {
      reject();
      return;
    }
    const host = info.destIP.toLowerCase() === 'localhost' ? '127.0.0.1' : info.destIP.replace(/^\[|\]$/g, '');
    const socket = net.connect({ host, port: info.destPort });
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    let channel: ServerChannel | undefined;
    socket.once('error', () => {
      if (!channel) reject();
      socket.destroy();
    });
    socket.once('connect', () => {
      socket.setNoDelay(true);
      channel = accept();
      socket.pipe(channel).pipe(socket);
      channel.on('error', () => socket.destroy());
      channel.once('close', () => socket.destroy());
      socket.once('close', () => channel?.close());
    });
  }

  /** Ends every forwarded connection. */
  closeAll(): void {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }
}
