/**
 * Everything one dust process needs to log in to nodes over SSH, built once: ssh config (the user's file, then
 * the system one, read on first use, its warnings reported once), known_hosts with OpenSSH's files per host,
 * private keys and passphrases, the shared jump-host pool, and ProxyCommands. The session layer asks it for a
 * node's login; `known-hosts show|forget` asks it about a node's host keys.
 */
import path from 'node:path';
import type { DustNode } from '../inventory/node.js';
import { flattenLogin } from './connect-plan.js';
import type { FlatLogin } from './connect-plan.js';
import { JumpHostPool } from './jump.js';
import { KnownHosts, fingerprintSha256 } from './known-hosts.js';
import type { ForgetReport, HostKeyPolicy, KnownHostEntry } from './known-hosts.js';
import { resolveEndpoint, resolveLogin } from './login.js';
import { PrivateKeyStore } from './private-key.js';
import type { AskSecret } from './private-key.js';
import { loadSshConfigs } from './ssh-config.js';
import type { SshConfigFile } from './ssh-config.js';

export interface SshLoginsOptions {
  /** The user's home (~/.ssh). */
  home: string;
  /** $DUST_HOME: dust's own known_hosts lives there. */
  dustHome: string;
  /** The user's ssh config file; undefined: none. */
  userConfig: string | undefined;
  /** The system-wide ssh config (/etc/ssh/ssh_config); undefined: none. */
  systemConfig: string | undefined;
  /** Where the system-wide known_hosts files are (/etc/ssh). */
  systemDir: string;
  policy: HostKeyPolicy;
  /** Extra known_hosts files trusted read-only (the demo's own host keys). */
  extraKnownHosts?: readonly string[];
  askSecret?: AskSecret;
  /** Non-fatal problems: loose key files, host keys that could not be recorded. */
  warn: (message: string) => void;
  /** ssh config warnings (`file:line: ...`), each once. Default: `warn` with an `ssh config:` prefix. */
  warnConfig?: (message: string) => void;
  /** Handshake limit for jump hosts. */
  connectTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** One known_hosts entry as `known-hosts show` prints it. */
export interface HostKeyLine {
  file: string;
  line: number;
  keyType: string;
  fingerprint: string;
  marker: KnownHostEntry['marker'];
  /** dust records into (and forgets from) this file for the node. */
  dustWrites: boolean;
}

export class SshLogins {
  readonly knownHosts: KnownHosts;
  readonly keys: PrivateKeyStore;
  readonly jumps: JumpHostPool;
  private config: SshConfigFile | undefined;

  constructor(private readonly opts: SshLoginsOptions) {
    const sshDir = path.join(opts.home, '.ssh');
    this.knownHosts = new KnownHosts({
      writableFile: path.join(opts.dustHome, 'known_hosts'),
      readOnlyFiles: opts.extraKnownHosts ?? [],
      userFiles: [path.join(sshDir, 'known_hosts'), path.join(sshDir, 'known_hosts2')],
      globalFiles: [path.join(opts.systemDir, 'ssh_known_hosts'), path.join(opts.systemDir, 'ssh_known_hosts2')],
      policy: opts.policy,
      warn: opts.warn,
    });
    this.keys = new PrivateKeyStore({ ...(opts.askSecret ? { askSecret: opts.askSecret } : {}), warn: opts.warn });
    this.jumps = new JumpHostPool({
      knownHosts: this.knownHosts,
      ...(opts.connectTimeoutMs ? { readyTimeoutMs: opts.connectTimeoutMs } : {}),
    });
  }

  /** The ssh config, read on first use; its warnings go to `warn` once each, with file:line. */
  sshConfig(): SshConfigFile {
    if (!this.config) {
      this.config = loadSshConfigs({ user: this.opts.userConfig, system: this.opts.systemConfig }, { home: this.opts.home });
      this.config.onWarning(this.opts.warnConfig ?? ((m) => this.opts.warn(`ssh config: ${m}`)));
    }
    return this.config;
  }

  /** The login the session layer connects with (may ask for a key's passphrase, once per key). */
  async login(node: DustNode): Promise<FlatLogin> {
    const spec = await resolveLogin(node, {
      sshConfig: this.sshConfig(),
      keys: this.keys,
      nodeLabel: nodeLabel(node),
      ...(this.opts.env ? { env: this.opts.env } : {}),
    });
    return flattenLogin(spec, this.jumps, this.knownHosts);
  }

  /** Every known_hosts entry naming the node, in the files OpenSSH and dust consult for it. */
  async hostKeys(node: DustNode): Promise<{ name: string; lines: HostKeyLine[]; writes: string | undefined }> {
    const ep = await resolveEndpoint(node, { sshConfig: this.sshConfig(), nodeLabel: nodeLabel(node) });
    const found = this.knownHosts.lookup(ep.host, ep.port, ep.hostKeys);
    const writes = new Set([this.knownHosts.writableFile, ...(found.files.write ? [found.files.write] : [])]);
    return {
      name: found.name,
      writes: found.files.write,
      lines: found.entries.filter((e) => e.marker !== 'cert-authority').map((e) => ({
        file: e.file, line: e.line, keyType: e.keyType, fingerprint: fingerprintSha256(e.key), marker: e.marker, dustWrites: writes.has(e.file),
      })),
    };
  }

  /** Removes the node's entries from the files dust writes for it (`ssh-keygen -R` for those files). */
  async forgetHostKeys(node: DustNode): Promise<ForgetReport> {
    const ep = await resolveEndpoint(node, { sshConfig: this.sshConfig(), nodeLabel: nodeLabel(node) });
    return this.knownHosts.forget(ep.host, ep.port, ep.hostKeys);
  }

  close(): void {
    this.jumps.close();
  }
}

function nodeLabel(node: DustNode): string {
  return node.props['login_rule'] ? 'login rule' : 'node';
}
