/**
 * Where the server's socket lives and whether a directory is safe for it. The socket gives whoever can connect
 * dust's sessions (root shells, often), so it lives in a directory only its owner can enter: created 0700 under
 * umask 077, refused when group/world accessible or owned by someone else (tmux's rule; Node cannot read
 * SO_PEERCRED, so the directory is the access control).
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createHash } from 'node:crypto';

/**
 * `--socket`, else `DUST_SOCKET`, else `$XDG_RUNTIME_DIR/dust/<hash of DUST_HOME>.sock` (a per-user tmpfs that
 * the system cleans up), else `$DUST_HOME/run/dust.sock`. One server per DUST_HOME.
 */
export function defaultSocketPath(dustHome: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env['DUST_SOCKET']) return env['DUST_SOCKET'];
  const xdg = env['XDG_RUNTIME_DIR'];
  if (xdg && path.isAbsolute(xdg)) {
    const id = createHash('sha256').update(path.resolve(dustHome)).digest('hex').slice(0, 12);
    return path.join(xdg, 'dust', `${id}.sock`);
  }
  return path.join(dustHome, 'run', 'dust.sock');
}

/** Why a directory cannot hold the socket (one line, with the fix), or undefined when it is fine. */
export function unsafeDirectoryReason(dir: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (err) {
    return `${dir}: ${(err as Error).message}`;
  }
  if (!st.isDirectory()) return `${dir} is not a directory`;
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return `${dir} belongs to uid ${st.uid}, not to you (uid ${uid}): remove it or pick another --socket`;
  if ((st.mode & 0o077) !== 0) {
    return `${dir} is open to others (mode ${(st.mode & 0o777).toString(8)}): the socket gives access to your sessions — chmod 700 ${dir}`;
  }
  return undefined;
}

/** Creates the socket's directory owner-only (parents as needed) and checks it; throws a one-line Error. */
export function ensureSocketDirectory(socketPath: string): void {
  const dir = path.dirname(socketPath);
  const old = process.umask(0o077);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } finally {
    process.umask(old);
  }
  const reason = unsafeDirectoryReason(dir);
  if (reason) throw new Error(reason);
}

/** `live` (a server answers), `stale` (a socket file nobody listens on), or `absent`. */
export function probeSocket(socketPath: string, timeoutMs = 1000): Promise<'live' | 'stale' | 'absent'> {
  if (!fs.existsSync(socketPath)) return Promise.resolve('absent');
  return new Promise((resolve) => {
    const sock = net.connect(socketPath);
    const t = setTimeout(() => { sock.destroy(); resolve('stale'); }, timeoutMs);
    sock.once('connect', () => { clearTimeout(t); sock.destroy(); resolve('live'); });
    sock.once('error', () => { clearTimeout(t); resolve('stale'); });
  });
}
