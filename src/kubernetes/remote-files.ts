/**
 * File access in a pod over exec, with the POSIX tools every image with a shell has (`cat`, `stat`, `mkdir`,
 * `chmod`, `touch`, `mv`; GNU `find -printf` when present for a one-process listing). Paths travel as the
 * script's positional parameters, never inside its text, so no path can inject shell syntax. Writes go to a
 * temporary name beside the target and are renamed into place only when every byte arrived. Never client-node's
 * `Cp`: it returns before the copy ends, loses errors, and needs `tar` in the image.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path/posix';
import { PassThrough, Writable } from 'node:stream';
import { DustError, isDustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import type { RemoteEntry, RemoteFiles, RemoteStat } from '../sessions/transport.js';
import { exitFromStatus } from './exec-protocol.js';
import { describePod, type PodRef, type StartedCommand, type StartRequest } from './exec-start.js';
import { V4_STDIN_REASON } from './exec-process.js';
import type { ExecSocketEnd } from './exec-socket.js';

/** Starts a command in the pod (the transport's `startCommand` with the pod already bound). */
export type StartInPod = (request: Omit<StartRequest, 'streams'> & { stdin: boolean }) => Promise<StartedCommand>;


const STAT_SCRIPT = `if [ -e "$1" ]; then stat -L -c '%f %s %Y %X' -- "$1"; else echo missing; fi`;

const LIST_SCRIPT = [
  'cd -- "$1" || exit 1',
  // GNU find: one process for the whole directory. Elsewhere (busybox), one stat per entry.
  `if find . -maxdepth 0 -printf '' >/dev/null 2>&1; then`,
  `  find . -mindepth 1 -maxdepth 1 -printf '%P\\0F %y %m %s %T@ %A@\\0'`,
  'else',
  '  for f in .[!.]* ..?* *; do',
  '    [ -e "$f" ] || [ -L "$f" ] || continue',
  `    printf '%s\\0' "$f"`,
  `    printf 'S %s\\0' "$(stat -c '%f %s %Y %X' -- "$f")"`,
  '  done',
  'fi',
].join('\n');

const MKDIR_SCRIPT = '[ -d "$1" ] && exit 0; if [ -n "$2" ]; then mkdir -m "$2" -- "$1"; else mkdir -- "$1"; fi';

// A write is two commands: this one fills the temporary file, COMMIT_SCRIPT renames it into place once dust has
// seen every byte accepted. One script could not tell a finished upload from an abandoned one: a real kubelet
// does not signal a command whose client went away, it closes its stdin, and `cat` would see an ordinary EOF.
const WRITE_SCRIPT = [
  // `mv` onto a directory would move the file into it.
  'if [ -d "$1" ]; then echo "$1: Is a directory" >&2; exit 1; fi',
  // A runtime that does hang up on the command (as a terminal would) leaves no temporary file behind.
  `trap 'rm -f -- "$2"; exit 129' HUP INT TERM PIPE`,
  // The file is open before any byte is sent (see OPENED_LINE), so an abandoned write always has one to remove.
  'exec 3> "$2" || exit 1',
  'echo dust-file-opened',
  'if ! cat >&3; then rm -f -- "$2"; exit 1; fi',
].join('\n');

const OPENED_LINE = 'dust-file-opened\n';
const CLEANUP_LIMIT_MS = 10_000;

const COMMIT_SCRIPT = [
  'if [ -d "$1" ]; then rm -f -- "$2"; echo "$1: Is a directory" >&2; exit 1; fi',
  // An existing file keeps its permissions (as `cp` onto it would); a new one gets the requested mode.
  'if [ -e "$1" ]; then m=$(stat -L -c %a -- "$1" 2>/dev/null) && chmod "$m" "$2"; elif [ -n "$3" ]; then chmod "$3" "$2"; fi',
  'mv -f -- "$2" "$1" || { rm -f -- "$2"; exit 1; }',
].join('\n');

const REMOVE_SCRIPT = 'rm -f -- "$1"';

const ATTR_SCRIPT = [
  'if [ -n "$2" ]; then chmod -- "$2" "$1" || exit 1; fi',
  // POSIX touch -t takes local time; with TZ=UTC0 that is UTC.
  'if [ -n "$3" ]; then TZ=UTC0 touch -c -m -t "$3" -- "$1" || exit 1; fi',
  'if [ -n "$4" ]; then TZ=UTC0 touch -c -a -t "$4" -- "$1" || exit 1; fi',
].join('\n');

const HOME_SCRIPT = 'if [ -n "$HOME" ] && [ -d "$HOME" ]; then cd "$HOME"; fi; pwd';

/** `[[CC]YY]MMDDhhmm.SS` in UTC, for `touch -t`. */
export function touchStamp(epochSeconds: number): string {
  const d = new Date(Math.floor(epochSeconds) * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}.${two(d.getUTCSeconds())}`;
}

function typeFromMode(mode: number): RemoteStat['type'] {
  switch (mode & 0o170000) {
    case 0o100000: return 'file';
    case 0o040000: return 'directory';
    case 0o120000: return 'symlink';
    default: return 'other';
  }
}

/** `81a4 1234 1700000000 1700000001` (stat's hex mode, size, mtime, atime). */
export function parseStatLine(line: string): RemoteStat | undefined {
  const [hex, size, mtime, atime] = line.trim().split(/\s+/);
  const mode = Number.parseInt(hex ?? '', 16);
  if (!Number.isFinite(mode)) return undefined;
  return { type: typeFromMode(mode), size: Number(size), mode: mode & 0o7777, mtime: Math.floor(Number(mtime)), atime: Math.floor(Number(atime)) };
}

const FIND_TYPES: Record<string, RemoteStat['type']> = { f: 'file', d: 'directory', l: 'symlink' };

/** The NUL-separated records of LIST_SCRIPT: name, then `F <type> <octal mode> size mtime atime` or `S <stat line>`. */
export function parseListing(out: Buffer): RemoteEntry[] {
  const fields = out.toString('utf8').split('\0');
  const entries: RemoteEntry[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i] ?? '';
    const meta = fields[i + 1] ?? '';
    if (name === '' || name === '.' || name === '..') continue;
    let stat: RemoteStat | undefined;
    if (meta.startsWith('F ')) {
      const [, y, m, size, mtime, atime] = meta.split(' ');
      stat = { type: FIND_TYPES[y ?? ''] ?? 'other', mode: Number.parseInt(m ?? '0', 8) & 0o7777, size: Number(size), mtime: Math.floor(Number(mtime)), atime: Math.floor(Number(atime)) };
    } else if (meta.startsWith('S ')) {
      stat = parseStatLine(meta.slice(2));
    }
    if (stat) entries.push({ name, stat });
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export class KubeRemoteFiles implements RemoteFiles {
  private homeDir: Promise<string> | undefined;

  constructor(
    private readonly ref: PodRef,
    private readonly start: StartInPod,
  ) {}

  async home(): Promise<string> {
    this.homeDir ??= this.run(HOME_SCRIPT, [], 'find the home directory').then((out) => {
      const dir = out.toString('utf8').trim();
      return dir === '' ? '/' : dir;
    });
    this.homeDir.catch(() => {
      this.homeDir = undefined;
    });
    return this.homeDir;
  }

  async stat(p: string): Promise<RemoteStat | undefined> {
    const target = await this.resolve(p);
    const out = await this.run(STAT_SCRIPT, [target], `stat ${target}`);
    const line = out.toString('utf8').trim();
    if (line === 'missing') return undefined;
    const stat = parseStatLine(line);
    if (!stat) throw this.failure(`stat ${target}`, `unexpected output '${line.slice(0, 80)}'`);
    return stat;
  }

  async list(dir: string): Promise<RemoteEntry[]> {
    const target = await this.resolve(dir);
    return parseListing(await this.run(LIST_SCRIPT, [target], `list ${target}`));
  }

  async mkdir(p: string, mode?: number): Promise<void> {
    const target = await this.resolve(p);
    await this.run(MKDIR_SCRIPT, [target, mode === undefined ? '' : (mode & 0o7777).toString(8)], `mkdir ${target}`);
  }

  read(p: string): NodeJS.ReadableStream {
    const out = new PassThrough();
    void (async () => {
      const target = await this.resolve(p);
      const started = await this.start({ command: 'exec cat -- "$1"', args: [target], stdin: false });
      const stderr: Buffer[] = [];
      started.attach({
        onStdout: (data) => {
          if (!out.write(data)) {
            started.socket.pause();
            out.once('drain', () => started.socket.resume());
          }
        },
        onStderr: (data) => stderr.push(data),
        onEnd: (end) => {
          const failure = this.endFailure(`read ${target}`, end, stderr, 'the exec stream ended without an exit status');
          if (failure) out.destroy(failure);
          else out.end();
        },
      });
      out.on('close', () => {
        if (!out.writableFinished) started.socket.close();
      });
    })().catch((err: unknown) => out.destroy(isDustError(err) ? err : this.failure(`read ${p}`, String(err))));
    return out;
  }

  write(p: string, opts: { mode?: number } = {}): { stream: NodeJS.WritableStream; done: Promise<void> } {
    let resolveDone!: () => void;
    let rejectDone!: (err: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    done.catch(() => {}); // the caller may only look at the stream's error
    let started: StartedCommand | undefined;
    let target = p;
    /** Set once the write command has its temporary file open: from then on a failure has a file to remove. */
    let tmp: string | undefined;
    let filled: Promise<void> | undefined;
    let settled = false;
    // Every way a write can fail ends here once: the temporary file is removed (when there is one) before `done`
    // rejects, so a caller that sees the failure also sees the old file alone and nothing beside it.
    const abandon = async (err: unknown): Promise<void> => {
      if (settled) return;
      settled = true;
      if (started?.socket.isOpen) started.socket.close();
      if (tmp !== undefined) await this.removeQuietly(tmp);
      rejectDone(err);
    };
    const stream = new Writable({
      construct: (callback) => {
        void (async () => {
          target = await this.resolve(p);
          const name = `${target}.dust-${randomBytes(6).toString('hex')}.tmp`;
          started = await this.start({ command: WRITE_SCRIPT, args: [target, name], stdin: true });
          if (!started.socket.canCloseStdin) {
            started.socket.close();
            throw this.failure(`write ${target}`, V4_STDIN_REASON, 'file writes need Kubernetes 1.29+ (v5.channel.k8s.io): copy with `kubectl cp` meanwhile');
          }
          const followed = this.follow(started, target);
          filled = followed.filled;
          // Bytes flow only once the temporary file is open, so an abandoned write always has one to remove.
          await followed.opened;
          tmp = name;
        })().then(() => callback(), (err: unknown) => {
          void abandon(err);
          callback(err instanceof Error ? err : new Error(String(err)));
        });
      },
      write: (chunk: Buffer, _encoding, callback) => {
        started?.socket.writeStdin(chunk, (err) => callback(err ?? null));
      },
      final: (callback) => {
        started?.socket.closeStdin();
        // Finished only when the file is in place.
        void (async () => {
          await filled;
          await this.run(COMMIT_SCRIPT, [target, tmp ?? '', opts.mode === undefined ? '' : (opts.mode & 0o7777).toString(8)], `write ${target}`);
        })().then(() => {
          settled = true;
          resolveDone();
          callback();
        }, (err: unknown) => {
          void abandon(err).then(() => callback(err instanceof Error ? err : new Error(String(err))));
        });
      },
      destroy: (err, callback) => {
        if (!err) return callback(null);
        void abandon(err).then(() => callback(err));
      },
    });
    return { stream, done };
  }

  /**
   * Follows the write command: `opened` resolves when its temporary file is open (it prints OPENED_LINE), `filled`
   * when it exits 0 (stdin ran dry and the file is complete). Either rejects with the container's message.
   */
  private follow(started: StartedCommand, target: string): { opened: Promise<void>; filled: Promise<void> } {
    const stderr: Buffer[] = [];
    let stdout = '';
    let markOpened!: () => void;
    const opened = new Promise<void>((resolve) => {
      markOpened = resolve;
    });
    const filled = new Promise<void>((resolve, reject) => {
      started.attach({
        onStdout: (data) => {
          stdout += data.toString('latin1');
          if (stdout.includes(OPENED_LINE)) markOpened();
        },
        onStderr: (data) => stderr.push(data),
        onEnd: (end) => {
          const failure = this.endFailure(`write ${target}`, end, stderr, 'the exec stream ended before the file was complete');
          if (failure) reject(failure);
          else resolve();
        },
      });
    });
    filled.catch(() => {});
    return { opened: Promise.race([opened, filled.then(() => Promise.reject(this.failure(`write ${target}`, 'the write command ended before it opened its file')))]), filled };
  }

  /** Best effort, and bounded: a pod that stopped answering must not hold the failure back. */
  private async removeQuietly(file: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.run(REMOVE_SCRIPT, [file], `remove ${file}`).catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLEANUP_LIMIT_MS);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  async setAttributes(p: string, attrs: { mode?: number; mtime?: number; atime?: number }): Promise<void> {
    const target = await this.resolve(p);
    await this.run(ATTR_SCRIPT, [
      target,
      attrs.mode === undefined ? '' : (attrs.mode & 0o7777).toString(8),
      attrs.mtime === undefined ? '' : touchStamp(attrs.mtime),
      attrs.atime === undefined ? '' : touchStamp(attrs.atime),
    ], `set attributes of ${target}`);
  }

  /** `~`, `~/x` and relative paths against the home directory. */
  private async resolve(p: string): Promise<string> {
    if (p.startsWith('/')) return p;
    const home = await this.home();
    if (p === '~' || p === '') return home;
    return path.join(home, p.startsWith('~/') ? p.slice(2) : p);
  }

  private failure(what: string, why: string, hint?: string): DustError {
    return new DustError(ErrorCodes.KubeFile, `${describePod(this.ref)}: cannot ${what}: ${why}`, {
      hint: hint ?? 'the message is the container\'s own; check the path and its permissions there',
    });
  }

  /** Runs a script to the end, collecting its output; a non-zero exit is a DUST_KUBE_FILE error. */
  private async run(script: string, args: string[], what: string): Promise<Buffer> {
    const started = await this.start({ command: script, args, stdin: false });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    return new Promise<Buffer>((resolve, reject) => {
      started.attach({
        onStdout: (d) => stdout.push(d),
        onStderr: (d) => stderr.push(d),
        onEnd: (end) => {
          const failure = this.endFailure(what, end, stderr, 'the exec stream ended without an exit status');
          if (failure) reject(failure);
          else resolve(Buffer.concat(stdout));
        },
      });
    });
  }

  /** Undefined when the command exited 0; else why not, in the container's own words when it printed any. */
  private endFailure(what: string, end: ExecSocketEnd, stderr: Buffer[], noStatus: string): DustError | undefined {
    const outcome = end.status ? exitFromStatus(end.status) : { error: noStatus };
    if ('exitCode' in outcome && outcome.exitCode === 0) return undefined;
    return this.failure(what, firstLine(Buffer.concat(stderr).toString('utf8')) || ('error' in outcome ? outcome.error : `exit status ${outcome.exitCode}`));
  }

}

function firstLine(text: string): string {
  return (text.trim().split('\n')[0] ?? '').trim();
}
