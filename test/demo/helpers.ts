/**
 * SSH clients for the demo-cluster tests: ssh2's `Client` (always) and OpenSSH's `ssh`/`sftp` (when installed),
 * both with strict host-key checking against the cluster's own keys.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { ClientChannel, ConnectConfig, PseudoTtyOptions } from 'ssh2';
import type { DemoCluster, DemoNode } from '../../src/demo/index.js';

const { Client } = ssh2;
export type SshClient = InstanceType<typeof Client>;

export const TEST_TIMEOUT = 90_000;

export function makeTempDir(prefix = 'dust-demo-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** A base port unlikely to be used by a parallel run (clashes are handled by the cluster anyway). */
export function randomBasePort(): number {
  return 13_000 + Math.floor(Math.random() * 600) * 10;
}

export function nodeNamed(cluster: DemoCluster, name: string): DemoNode {
  const node = cluster.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`no node ${name}`);
  return node;
}

/** Connects with ssh2, accepting only the node's own host key. Rejects with the client's error. */
export function connect(
  node: DemoNode,
  opts: { privateKey?: string | Buffer; password?: string; username?: string; extra?: Partial<ConnectConfig> },
): Promise<SshClient> {
  const expected = Buffer.from(node.hostPublicKey.split(' ')[1] ?? '', 'base64');
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({
      host: node.host,
      port: node.port,
      username: opts.username ?? 'demo',
      ...(opts.privateKey !== undefined ? { privateKey: opts.privateKey } : {}),
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      hostVerifier: (key: Buffer) => key.equals(expected),
      readyTimeout: 60_000,
      ...opts.extra,
    });
  });
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: string | undefined;
}

/** Runs `command` (no pty unless asked), optionally feeding `input` then EOF; resolves when the channel closes. */
export function exec(
  client: SshClient,
  command: string,
  opts: {
    input?: string;
    env?: Record<string, string>;
    pty?: PseudoTtyOptions;
    onStart?: (ch: ClientChannel) => void;
  } = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const execOpts = { ...(opts.env ? { env: opts.env } : {}), ...(opts.pty ? { pty: opts.pty } : {}) };
    client.exec(command, execOpts, (err, channel) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      let signal: string | undefined;
      channel.on('data', (d: Buffer) => (stdout += d.toString()));
      channel.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      channel.on('exit', (c: number | null, s?: string) => {
        code = c;
        signal = s ?? undefined;
      });
      channel.on('close', () => resolve({ stdout, stderr, code, signal }));
      if (opts.input !== undefined) channel.end(opts.input);
      opts.onStart?.(channel);
    });
  });
}

/** An interactive shell with a pty; `run` sends one line and returns its output only. */
export class ShellDriver {
  #buffer = '';
  #closed = false;
  #waiters: Array<() => void> = [];
  private constructor(readonly channel: ClientChannel) {
    channel.on('data', (d: Buffer) => this.#push(d.toString()));
    channel.on('close', () => {
      this.#closed = true;
      this.#push('');
    });
  }

  static open(client: SshClient, window: PseudoTtyOptions = { rows: 24, cols: 80, term: 'xterm' }): Promise<ShellDriver> {
    return new Promise((resolve, reject) => {
      client.shell(window, (err, channel) => (err ? reject(err) : resolve(new ShellDriver(channel))));
    });
  }

  get text(): string {
    return this.#buffer;
  }

  get closed(): boolean {
    return this.#closed;
  }

  #push(text: string): void {
    this.#buffer += text;
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Waits until the output from `from` on matches (no time limit of its own: the test's timeout applies). */
  async waitFor(pattern: RegExp, from = 0): Promise<RegExpExecArray> {
    for (;;) {
      const m = pattern.exec(this.#buffer.slice(from));
      if (m) return m;
      if (this.#closed) throw new Error(`shell closed before ${pattern}; output:\n${this.#buffer}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Runs a line, returns what it printed (markers are split in the echoed input so only the output matches). */
  async run(line: string): Promise<string> {
    const from = this.#buffer.length;
    this.channel.write(`echo "@@BE""GIN@@"; ${line}; echo "@@E""ND@@"\n`);
    const m = await this.waitFor(/@@BEGIN@@\r?\n([\s\S]*?)@@END@@/, from);
    return (m[1] ?? '').replace(/\r/g, '');
  }
}

/** Resolves once the client's connection is gone ('close'), however it ended. */
export function whenClosed(client: SshClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}

export function opensshAvailable(): boolean {
  return spawnSync('ssh', ['-V'], { stdio: 'ignore' }).status === 0;
}

export function sftpClientAvailable(): boolean {
  return spawnSync('sh', ['-c', 'command -v sftp'], { stdio: 'ignore' }).status === 0;
}

/** OpenSSH client options for one node: strict checking against a known_hosts file of the cluster's lines only. */
export function opensshArgs(cluster: DemoCluster, node: DemoNode, knownHostsPath: string): string[] {
  writeFileSync(knownHostsPath, `${cluster.knownHostsLines().join('\n')}\n`);
  return [
    '-i', cluster.clientKeyPath,
    '-o', 'IdentitiesOnly=yes',
    '-o', 'IdentityAgent=none',
    '-o', `UserKnownHostsFile=${knownHostsPath}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=60',
    '-o', 'LogLevel=ERROR',
    '-p', String(node.port),
  ];
}

/** Runs a local program to completion. */
export function run(
  file: string,
  args: string[],
  input?: string,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { timeout: 80_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code as number | null) ?? 1 : 0;
      resolve({ stdout, stderr, code: typeof code === 'number' ? code : 1 });
    });
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/** True while the process exists and is not a zombie (Linux /proc; elsewhere a signal-0 probe). */
export function isAlive(pid: number): boolean {
  if (existsSync('/proc/self/stat')) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` until it holds (tests never assert on time: the mocha timeout is the only limit). */
export { eventually } from '../helpers/eventually.js';

/** The number on the last line of `text` (an interactive shell prints job notices like `[1] 1234` first). */
export function lastNumber(text: string): number {
  return Number(text.trim().split('\n').pop());
}

/** Removes terminal escape sequences (bracketed-paste toggles, colours) from pty output. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>]/g, '');
}
