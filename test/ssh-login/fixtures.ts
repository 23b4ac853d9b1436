/**
 * In-process ssh2 servers and key files for the login tests (ssh2's own test style): real SSH
 * handshakes on loopback, no mocks.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { AuthContext, Connection, ParsedKey } from 'ssh2';
import { planConnect } from '../../src/ssh/connect-plan.js';
import type { ConnectDeps } from '../../src/ssh/connect-plan.js';
import type { LoginSpec } from '../../src/ssh/login.js';
import type { LoginIdentity } from '../../src/ssh/auth.js';
import { generateEd25519 } from '../../src/ssh/keygen.js';

const { Client, Server, utils } = ssh2;

const tmpRoots: string[] = [];

/** A fresh temp dir, removed by `cleanupTmp`. */
export function tmpDir(prefix = 'dust-login-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpRoots.push(d);
  return d;
}

export function cleanupTmp(): void {
  for (const d of tmpRoots.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export interface KeyPair { privateKey: string; publicKey: string; parsed: ParsedKey }

/** Unencrypted OpenSSH-format key pair from ssh2's generator. */
export function genKey(type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519'): KeyPair {
  const kp = type === 'ed25519'
    ? (({ privateKey, publicKey }) => ({ private: privateKey, public: publicKey }))(generateEd25519())
    : type === 'ecdsa' ? utils.generateKeyPairSync('ecdsa', { bits: 256 }) : utils.generateKeyPairSync('rsa', { bits: 2048 });
  const parsed = utils.parseKey(kp.public);
  if (parsed instanceof Error) throw parsed;
  return { privateKey: kp.private, publicKey: kp.public, parsed: Array.isArray(parsed) ? parsed[0]! : parsed };
}

/** A key file written by the real ssh-keygen (passphrase '' = unencrypted). */
export function sshKeygen(dir: string, name: string, opts: { type?: string; passphrase?: string; pem?: boolean } = {}): string {
  const file = path.join(dir, name);
  const args = ['-q', '-t', opts.type ?? 'ed25519', '-N', opts.passphrase ?? '', '-C', name, '-f', file];
  // Few KDF rounds: the cost is JS bcrypt in ssh2, and the format is the same.
  if (!opts.pem) args.push('-a', '4');
  else args.push('-m', 'PEM');
  execFileSync('ssh-keygen', args, { stdio: 'ignore' });
  return file;
}

export interface TestServer {
  port: number;
  host: string;
  /** 'connection' events seen. */
  connections: number;
  /** Authenticated clients currently connected. */
  clients: Set<Connection>;
  /** Drops every client connection (simulates a server going away) but keeps listening. */
  dropClients(): void;
  close(): Promise<void>;
}

export interface TestServerOptions {
  hostKey: string;
  /** Public keys allowed to log in (any user). */
  allowedKeys: ParsedKey[];
  host?: string;
  /** Accept direct-tcpip to loopback (a bastion). */
  allowTcpip?: boolean;
  /** Answer `exec` with this text. */
  execReply?: string;
}

/** An ssh2 Server on loopback port 0 that accepts publickey auth for `allowedKeys`. */
export async function startServer(opts: TestServerOptions): Promise<TestServer> {
  const host = opts.host ?? '127.0.0.1';
  const state = { connections: 0, clients: new Set<Connection>() };
  const server = new Server({ hostKeys: [opts.hostKey] }, (client: Connection) => {
    state.connections++;
    client.on('error', () => undefined);
    client.on('authentication', (ctx: AuthContext) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      const ok = opts.allowedKeys.find((k) => k.type === ctx.key.algo && ctx.key.data.equals(k.getPublicSSH()));
      if (!ok) return ctx.reject(['publickey']);
      if (!ctx.signature) return ctx.accept();
      if (ok.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
      return ctx.reject(['publickey']);
    });
    client.on('ready', () => {
      state.clients.add(client);
      client.on('close', () => state.clients.delete(client));
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec) => {
          const ch = acceptExec();
          ch.write(opts.execReply ?? 'ok\n');
          ch.exit(0);
          ch.end();
        });
      });
      client.on('tcpip', (accept, reject, info) => {
        if (!opts.allowTcpip || !/^127\./.test(info.destIP)) return reject();
        const sock = net.connect(info.destPort, info.destIP);
        sock.once('connect', () => {
          const ch = accept();
          ch.pipe(sock).pipe(ch);
          ch.on('error', () => sock.destroy());
          ch.on('close', () => sock.destroy());
        });
        sock.once('error', () => reject());
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    host,
    get connections() { return state.connections; },
    clients: state.clients,
    dropClients() {
      for (const c of state.clients) c.end();
    },
    close() {
      for (const c of state.clients) c.end();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Connects with dust's ConnectPlan, runs `exec` once, and returns its output; rejects with the DustError. */
export async function connectOnce(spec: LoginSpec, deps: ConnectDeps): Promise<{ output: string; recorded: boolean }> {
  const plan = await planConnect(spec, deps);
  const client = new Client();
  return new Promise((resolve, reject) => {
    let settled = false;
    client.on('error', (err) => {
      if (settled) return;
      settled = true;
      reject(plan.explainError(err));
    });
    client.on('ready', () => {
      client.exec('hostname', (err, ch) => {
        if (err) {
          settled = true;
          client.end();
          return reject(err);
        }
        let out = '';
        ch.on('data', (d: Buffer) => { out += d.toString(); });
        ch.on('close', () => {
          settled = true;
          client.end();
          resolve({ output: out, recorded: plan.recordedHostKey() });
        });
      });
    });
    client.connect(plan.config);
  });
}

/** The message, hint, code and cause of an error, flattened for "secret appears nowhere" checks. */
export function everythingAbout(err: unknown): string {
  const e = err as { message?: string; hint?: string; code?: string; stack?: string; cause?: unknown };
  return [e.message, e.hint, e.code, e.stack, String(e.cause ?? ''), JSON.stringify(err)].join('\n');
}

/** A LoginSpec identity list holding one in-memory key. */
export function keyOnly(privateKey: string | Buffer, file = 'test-key'): LoginIdentity[] {
  return [{ kind: 'key', file, privateKey: Buffer.from(privateKey), label: 'test' }];
}

export interface TestAgent {
  socket: string;
  /** `ssh-add <file>` (an unencrypted key file). */
  add(file: string): void;
  close(): Promise<void>;
}

/** A real OpenSSH ssh-agent on a socket in `dir`, in the foreground (-D) so we own and end its process. */
export async function startAgent(dir: string): Promise<TestAgent> {
  const socket = path.join(dir, 'agent.sock');
  const child = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 25));
  if (!fs.existsSync(socket)) throw new Error('ssh-agent did not create its socket');
  return {
    socket,
    add: (file) => { execFileSync('ssh-add', ['-q', file], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' }); },
    close: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill();
    }),
  };
}

/** The ParsedKey of a key file's public half (for TestServerOptions.allowedKeys). */
export function publicOfFile(file: string): ParsedKey {
  const parsed = utils.parseKey(fs.readFileSync(`${file}.pub`));
  if (parsed instanceof Error) throw parsed;
  return Array.isArray(parsed) ? parsed[0]! : parsed;
}
