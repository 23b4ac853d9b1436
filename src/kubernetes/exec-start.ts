/**
 * Starting a command in a pod and knowing that it started. The exec protocol has no "started" message: a
 * WebSocket opens whether or not the container can run `/bin/sh`, and a missing shell only shows as a status
 * frame a moment later. So every command dust runs begins with the shell printing a private marker (an OSC
 * sequence, stripped before anyone sees output); the start resolves when the marker arrives and rejects with
 * one clear `DustError` when a status or a close comes first: no shell, pod gone, pod not running.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { DustError, isDustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { exitFromStatus, type ExecProtocol } from './exec-protocol.js';
import { type ExecSocketEnd, type ExecSocketHandlers, ExecSocket, type ExecStreams } from './exec-socket.js';
import { KubeHttpError, translateKubeError } from './errors.js';
import { podStatusWord } from './pod-status.js';
import type { PodLike } from './pod-node.js';

/** What the shell prints first. OSC 6973 is nobody's: a terminal that ever saw it would ignore it. */
export const READY_MARKER = Buffer.from('\x1b]6973;dust-ready\x07');
/** The same marker as a POSIX `printf` (a builtin in every sh: no binary needed). */
const READY_PRINTF = "printf '\\033]6973;dust-ready\\007'";

/** One pod and container, as the node describes it. */
export interface PodRef {
  namespace: string;
  pod: string;
  container: string | undefined;
  image?: string | undefined;
  context: string;
}

/** Looks the pod up to explain a failure: the pod, `'gone'` for a 404, undefined when the lookup failed. */
export type PodLookup = (ref: PodRef) => Promise<PodLike | 'gone' | undefined>;

export interface StartRequest {
  /** Script for `/bin/sh -c`. */
  command: string;
  /** Positional parameters for the script (`$1`…): paths travel here, never inside the script text. */
  args?: readonly string[];
  /** Shell commands run before the marker (`stty -echo`), so they take effect before any input is sent. */
  preamble?: string;
  streams: ExecStreams;
  /** The terminal size, sent first thing (before the command can print anything). */
  size?: { rows: number; cols: number };
  protocols?: readonly ExecProtocol[];
  keepaliveMs?: number;
  /** How long the shell may take to print its marker once the stream is open. Default 30 s. */
  startTimeoutMs?: number;
}

export const describePod = (ref: PodRef): string => `pod ${ref.namespace}/${ref.pod}`;

/** A command that has started: its socket, and its output from the first byte after the marker. */
export class StartedCommand {
  private handlers: ExecSocketHandlers | undefined;
  private readonly backlog: (['out' | 'err', Buffer] | ['end', ExecSocketEnd])[] = [];

  constructor(
    readonly socket: ExecSocket,
    readonly ref: PodRef,
  ) {}

  /** Where output and the end go from now on; anything that arrived in between is delivered first. */
  attach(handlers: ExecSocketHandlers): void {
    this.handlers = handlers;
    for (const item of this.backlog.splice(0)) this.dispatch(item);
  }

  /** @internal */
  push(item: ['out' | 'err', Buffer] | ['end', ExecSocketEnd]): void {
    if (this.handlers) this.dispatch(item);
    else this.backlog.push(item);
  }

  private dispatch(item: ['out' | 'err', Buffer] | ['end', ExecSocketEnd]): void {
    if (item[0] === 'end') this.handlers?.onEnd?.(item[1]);
    else if (item[0] === 'out') this.handlers?.onStdout?.(item[1]);
    else this.handlers?.onStderr?.(item[1]);
  }
}

const MAX_BEFORE_MARKER = 64 * 1024;

export function startCommand(kc: KubeConfig, ref: PodRef, request: StartRequest, lookup: PodLookup): Promise<StartedCommand> {
  const script = `${request.preamble ? `${request.preamble}; ` : ''}${READY_PRINTF}; ${request.command}`;
  const argv = ['/bin/sh', '-c', script, ...(request.args ? ['dust', ...request.args] : [])];
  return new Promise<StartedCommand>((resolve, reject) => {
    let started: StartedCommand | undefined;
    let socket: ExecSocket | undefined;
    let seen: Buffer = Buffer.alloc(0);
    let failed: ExecSocketEnd | undefined;
    const fail = (err: unknown): void => {
      void explainStartFailure(err, ref, lookup).then(reject, reject);
    };
    const markerFound = (data: Buffer): boolean => {
      seen = seen.length === 0 ? data : Buffer.concat([seen, data]);
      const at = seen.indexOf(READY_MARKER);
      if (at < 0) {
        if (seen.length > MAX_BEFORE_MARKER) seen = seen.subarray(seen.length - READY_MARKER.length);
        return false;
      }
      const rest = seen.subarray(at + READY_MARKER.length);
      seen = Buffer.alloc(0);
      if (!socket) return false;
      clearTimeout(timer);
      started = new StartedCommand(socket, ref);
      if (rest.length > 0) started.push(['out', rest]);
      resolve(started);
      return true;
    };
    const early: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const limit = request.startTimeoutMs ?? 30_000;
    const stall = (): void => {
      if (started) return;
      const s = socket;
      socket = undefined; // its end is no longer ours to explain
      s?.close();
      reject(new DustError(ErrorCodes.KubeExec, `${describePod(ref)}: the shell did not start within ${limit < 1000 ? `${limit} ms` : `${Math.round(limit / 1000)} s`} of the exec stream opening`, {
        hint: 'the container runtime may be wedged or the node overloaded; `kubectl exec` on the same pod will hang the same way',
      }));
    };
    ExecSocket.open(kc, { namespace: ref.namespace, pod: ref.pod, container: ref.container }, argv, request.streams, {
      onStdout: (data) => {
        if (started) started.push(['out', data]);
        else if (!socket) early.push(data);
        else markerFound(data);
      },
      onStderr: (data) => {
        // Before the marker only the preamble can write here; what it says is of no use to anyone.
        if (started) started.push(['err', data]);
      },
      onEnd: (end) => {
        if (started) started.push(['end', end]);
        else if (socket) fail(new StreamEndedEarly(end));
        else failed = end;
      },
    }, {
      ...(request.protocols ? { protocols: request.protocols } : {}),
      ...(request.keepaliveMs !== undefined ? { keepaliveMs: request.keepaliveMs } : {}),
    }).then(
      (s) => {
        socket = s;
        timer = setTimeout(stall, limit);
        timer.unref();
        void s.ended.then(() => clearTimeout(timer));
        if (request.size) s.resize(request.size);
        for (const d of early.splice(0)) if (!started) markerFound(d);
        if (!started && failed) fail(new StreamEndedEarly(failed));
      },
      fail,
    );
  });
}

/** The stream ended before the shell printed the marker. */
class StreamEndedEarly extends Error {
  constructor(readonly end: ExecSocketEnd) {
    super('the exec stream ended before the shell started');
  }
}

const NOT_RUNNING = /container not found|does not have a host assigned|completed pod|being deleted|is terminating/i;
const NO_SHELL = /no such file or directory|executable file not found|not found in \$PATH/i;

function noShell(ref: PodRef, cause: unknown): DustError {
  return new DustError(
    ErrorCodes.KubeNoShell,
    `${describePod(ref)}: container ${ref.container ?? '(default)'} has no /bin/sh${ref.image ? ` (image ${ref.image})` : ''}`,
    { cause, hint: `dust runs a POSIX shell in each pod: use an image that has one, or attach a debug container (kubectl debug -it ${ref.pod} -n ${ref.namespace} --image=busybox --target=${ref.container ?? 'CONTAINER'})` },
  );
}

/** What a pod's state says about why nothing runs in it, or undefined when it looks runnable. */
async function podProblem(ref: PodRef, lookup: PodLookup, cause: unknown): Promise<DustError | undefined> {
  const pod = await lookup(ref).catch(() => undefined);
  if (pod === 'gone') {
    return new DustError(ErrorCodes.KubePodGone, `${describePod(ref)} no longer exists`, {
      cause, hint: 'it was deleted (or replaced under another name): `show` lists the pods there are now',
    });
  }
  if (!pod) return undefined;
  const word = podStatusWord(pod);
  const phase = pod.status?.phase ?? 'Unknown';
  if (pod.metadata?.deletionTimestamp) {
    return new DustError(ErrorCodes.KubePodNotRunning, `${describePod(ref)} is being deleted`, { cause, hint: 'its containers are stopping: pick another pod' });
  }
  if (phase === 'Succeeded' || phase === 'Failed') {
    return new DustError(ErrorCodes.KubePodNotRunning, `${describePod(ref)} is not running (${phase}${word !== phase ? `: ${word}` : ''})`, {
      cause, hint: `its containers have exited; \`kubectl logs ${ref.pod} -n ${ref.namespace}\` says why, and a new pod is needed`,
    });
  }
  if (phase !== 'Running' || word !== 'Running') {
    return new DustError(ErrorCodes.KubePodNotRunning, `${describePod(ref)} is not running (${word})`, {
      cause, hint: `wait until it is Running (\`show\` lists its state); \`kubectl describe pod ${ref.pod} -n ${ref.namespace}\` says what it waits for`,
    });
  }
  return undefined;
}

/** One line for a command that could not start in a pod. */
export async function explainStartFailure(err: unknown, ref: PodRef, lookup: PodLookup): Promise<DustError> {
  if (isDustError(err)) return err;
  const where = `${describePod(ref)}`;
  if (err instanceof StreamEndedEarly) {
    const { end } = err;
    if (end.status) {
      const outcome = exitFromStatus(end.status);
      const message = 'error' in outcome ? outcome.error : `the shell exited with status ${outcome.exitCode} before it started`;
      if ('error' in outcome && NO_SHELL.test(message) && message.includes('/bin/sh')) return noShell(ref, err);
      return (await podProblem(ref, lookup, err)) ?? new DustError(ErrorCodes.KubeExec, `${where}: exec failed: ${message}`, {
        cause: err, hint: 'the container runtime refused the command; `kubectl exec` on the same pod shows the same error',
      });
    }
    const why = end.error?.message ?? (end.reason !== '' ? end.reason : `WebSocket close ${end.code}`);
    return (await podProblem(ref, lookup, err)) ?? new DustError(ErrorCodes.KubeExec, `${where}: the exec stream closed before the shell started (${why})`, {
      cause: err, hint: 'the API server or kubelet ended the stream; try again, and check the pod with `kubectl describe pod`',
    });
  }
  if (err instanceof KubeHttpError) {
    if (err.statusCode === 404) {
      return (await podProblem(ref, lookup, err)) ?? new DustError(ErrorCodes.KubePodGone, `${where} no longer exists (${err.message})`, {
        cause: err, hint: 'it was deleted (or replaced under another name): `show` lists the pods there are now',
      });
    }
    if (err.statusCode === 400 && NOT_RUNNING.test(err.message)) {
      return (await podProblem(ref, lookup, err)) ?? new DustError(ErrorCodes.KubePodNotRunning, `${where} is not running: ${err.message}`, {
        cause: err, hint: 'wait until it is Running (`show` lists its state)',
      });
    }
    if (err.statusCode === 400) {
      return new DustError(ErrorCodes.KubeExec, `${where}: exec refused: ${err.message}`, {
        cause: err, hint: /container/i.test(err.message) ? 'name an existing container (the node\'s `container` property; `containers` lists them all)' : 'the API server refused the exec request',
      });
    }
    if (err.statusCode !== 401 && err.statusCode !== 403) {
      return new DustError(ErrorCodes.KubeExec, `${where}: exec refused: ${err.message}`, { cause: err, hint: `the API server answered ${err.statusCode}${err.reason ? ` ${err.reason}` : ''}` });
    }
  }
  return translateKubeError(err, `exec in ${where}`, { context: ref.context });
}

/** Why an established stream ended without an exit status, in a few words for the per-node line. */
export async function explainLoss(end: ExecSocketEnd, ref: PodRef, lookup: PodLookup): Promise<string> {
  const pod = await lookup(ref).catch(() => undefined);
  if (pod === 'gone') return `${describePod(ref)} was deleted`;
  if (pod && pod.metadata?.deletionTimestamp) return `${describePod(ref)} is being deleted`;
  if (pod && pod.status?.phase && pod.status.phase !== 'Running') return `${describePod(ref)} stopped running (${podStatusWord(pod)})`;
  if (end.status) {
    const outcome = exitFromStatus(end.status);
    if ('error' in outcome) return `exec failed: ${outcome.error}`;
  }
  if (end.error) return `connection to the API server lost: ${end.error.message}`;
  if (end.code === 1006) return 'connection to the API server lost';
  return 'the API server closed the exec stream (the kubelet\'s idle timeout, or a restart)';
}
