/**
 * The Kubernetes remote-command protocol over WebSocket, shared by the emulator (server side) and the transport
 * (client side). Every binary frame starts with a channel byte: 0 stdin, 1 stdout, 2 stderr, 3 status (a
 * `v1.Status` as JSON, sent once when the command ends), 4 resize (JSON), 255 close (v5 only: `[255, n]`
 * half-closes stream n, e.g. stdin EOF). v4 is v5 without the close frame.
 */

/** The subprotocols dust speaks, in order of preference. */
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
export type ExecProtocol = (typeof EXEC_PROTOCOLS)[number];

export const Channel = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  status: 3,
  resize: 4,
  close: 255,
} as const;

/** Whether the protocol can half-close a stream (stdin EOF without ending the connection). */
export function supportsClose(protocol: string): boolean {
  return protocol === 'v5.channel.k8s.io';
}

/** One frame: the channel byte, then the bytes. */
export function frame(channel: number, data: Buffer | Uint8Array | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = channel;
  out.set(body, 1);
  return out;
}

/** v5: half-closes `channel` (stdin EOF). */
export function closeFrame(channel: number): Buffer {
  return Buffer.from([Channel.close, channel]);
}

/** A resize message. kubectl's spelling: the API server decodes JSON case-insensitively, the emulator accepts both. */
export function resizeFrame(size: { rows: number; cols: number }): Buffer {
  return frame(Channel.resize, JSON.stringify({ Width: size.cols, Height: size.rows }));
}

/** Reads a resize message in either spelling (`{width,height}` from client-node, `{Width,Height}` from kubectl). */
export function parseResize(data: Buffer): { rows: number; cols: number } | undefined {
  let msg: unknown;
  try {
    msg = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof msg !== 'object' || msg === null) return undefined;
  const m = msg as Record<string, unknown>;
  const cols = m['Width'] ?? m['width'];
  const rows = m['Height'] ?? m['height'];
  if (typeof cols !== 'number' || typeof rows !== 'number' || !(cols > 0) || !(rows > 0)) return undefined;
  return { rows: Math.min(Math.floor(rows), 10000), cols: Math.min(Math.floor(cols), 10000) };
}

/** The status channel's payload (a `v1.Status`). */
export interface ExecStatus {
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: { reason?: string; message?: string }[] };
}

export function successStatus(): ExecStatus {
  return { status: 'Success' };
}

/** What the kubelet sends when the command exits with a non-zero status. */
export function nonZeroExitStatus(exitCode: number, argv: readonly string[]): ExecStatus {
  return {
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** The status for a command that could not start (containerd's wording, as kubectl shows it). */
export function startFailureStatus(message: string): ExecStatus {
  return { status: 'Failure', message: `Internal error occurred: ${message}`, reason: 'InternalError', code: 500 };
}

/**
 * The command's exit status from a status message: `{ exitCode }` for Success (0) and NonZeroExitCode,
 * `{ error }` for any other failure (the command never ran, or the stream broke).
 */
export function exitFromStatus(status: ExecStatus): { exitCode: number } | { error: string } {
  if (status.status === 'Success') return { exitCode: 0 };
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code)) return { exitCode: code };
  }
  return { error: status.message ?? status.reason ?? 'the command failed' };
}
