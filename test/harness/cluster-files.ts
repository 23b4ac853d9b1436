/**
 * Text of every file the test cluster writes: per-node sshd_config, the session wrapper, and the client side
 * (ssh_config, known_hosts, cluster.env). Pure functions, so the layout is easy to read in one place.
 */
import ssh2 from 'ssh2';

const { utils } = ssh2;

/** Wraps a value in single quotes for sh/bash (and for the shell sshd runs ForceCommand with). */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * An OpenSSH-format ed25519 key pair generated in-process (~0.3 ms, against ~8 ms for a ssh-keygen fork).
 *
 * ssh2 1.17 strips leading zero bytes from the 32-byte public key (mscdex/ssh2#1390, #1513, open), so about
 * 1 key in 256 comes out with a 31-byte key that sshd rejects ("error in libcrypto"). Such pairs are
 * thrown away: the wire blob of a good key is exactly 4+11 ("ssh-ed25519") + 4+32 bytes.
 */
export { generateEd25519 } from '../../src/ssh/keygen.js';

/** `ssh-ed25519 AAAA...` without the trailing comment. */
export function stripKeyComment(publicKey: string): string {
  return publicKey.trim().split(/\s+/).slice(0, 2).join(' ');
}

export interface SshdConfigInput {
  nodeName: string;
  host: string;
  port: number;
  hostKeyPath: string;
  pidFile: string;
  authorizedKeysPath: string;
  homeDir: string;
  /** Absent: no ForceCommand, sshd runs the passwd shell itself (plainSessions). */
  sessionWrapperPath?: string | undefined;
  maxSessions: number;
  maxStartups: string;
  sftpServerPath: string | undefined;
}

/**
 * One node's sshd_config. Self-contained (no Include of /etc/ssh), so the machine's own sshd settings
 * never leak in. `SetEnv HOME` gives every node its own empty home: it keeps root's real dotfiles (Debian
 * bash sources ~/.bashrc even for `ssh host cmd`) out of the measurements and gives file-writing tests a
 * per-node `~`. The ForceCommand wrapper then starts every session in that home.
 */
export function renderSshdConfig(c: SshdConfigInput): string {
  const lines = [
    '# Written by test/harness (dust test cluster). One sshd per node; see sshd-cluster.ts.',
    `ListenAddress ${c.host}`,
    `Port ${c.port}`,
    `HostKey ${c.hostKeyPath}`,
    `PidFile ${c.pidFile}`,
    `AuthorizedKeysFile ${c.authorizedKeysPath}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'UsePAM no',
    'StrictModes no',
    'UseDNS no',
    `MaxStartups ${c.maxStartups}`,
    `MaxSessions ${c.maxSessions}`,
    // DUST_TEST_NODE lets tests tell nodes apart: `hostname` is the same machine everywhere.
    `SetEnv HOME=${c.homeDir} DUST_TEST_NODE=${c.nodeName}`,
    'PrintMotd no',
    'PrintLastLog no',
    'LogLevel VERBOSE',
    'X11Forwarding no',
    ...(c.sftpServerPath ? [`Subsystem sftp ${c.sftpServerPath}`] : []),
    // sshd hands this line to the user's shell as `shell -c <line>`, hence the quoting.
    ...(c.sessionWrapperPath ? [`ForceCommand ${shellQuote(c.sessionWrapperPath)}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * The ForceCommand wrapper: cd to the node's HOME, then behave exactly like sshd would without a
 * ForceCommand, but with the cluster's login shell instead of the passwd one:
 * - exec / subsystem request: `<shell> -c "$SSH_ORIGINAL_COMMAND"` (argv0 = shell name, not a login shell),
 * - shell request: `exec -a -<name> <shell>`, the leading dash making it a login shell as sshd does.
 * SSH_ORIGINAL_COMMAND is unset so sessions see the environment a plain sshd would give them.
 * Written in bash because `exec -a` is not POSIX; bash is always present on the Debian images we use.
 */
export function renderSessionWrapper(loginShell: string): string {
  return `#!/bin/bash
# dust test cluster session wrapper (ForceCommand): start in the node's HOME, run ${loginShell} as login shell.
login_shell=${shellQuote(loginShell)}
cd "$HOME" 2>/dev/null || true
export SHELL="$login_shell"
if [ -n "\${SSH_ORIGINAL_COMMAND+set}" ]; then
  command=$SSH_ORIGINAL_COMMAND
  unset SSH_ORIGINAL_COMMAND
  exec -a "\${login_shell##*/}" "$login_shell" -c "$command"
fi
exec -a "-\${login_shell##*/}" "$login_shell"
`;
}

export interface ClientNodeEntry {
  name: string;
  host: string;
  port: number;
  hostPublicKey: string;
}

/** known_hosts line for a node: `[host]:port` unless the port is 22, as OpenSSH itself writes it. */
export function knownHostsLine(node: ClientNodeEntry): string {
  const hostPart = node.port === 22 ? node.host : `[${node.host}]:${node.port}`;
  return `${hostPart} ${stripKeyComment(node.hostPublicKey)}`;
}

export function renderKnownHosts(nodes: readonly ClientNodeEntry[]): string {
  return `${nodes.map(knownHostsLine).join('\n')}\n`;
}

/**
 * OpenSSH client config with one `Host <name>` block per node. Strict host-key checking against the
 * cluster's own known_hosts only (no global file, no agent, no other identities), so tests are hermetic
 * and a changed host key fails loudly.
 */
export function renderSshConfig(
  nodes: readonly ClientNodeEntry[],
  c: { user: string; clientKeyPath: string; knownHostsPath: string },
): string {
  const blocks = nodes.map((n) =>
    [
      `Host ${n.name}`,
      `  HostName ${n.host}`,
      `  Port ${n.port}`,
      `  User ${c.user}`,
      `  IdentityFile ${c.clientKeyPath}`,
      '  IdentitiesOnly yes',
      '  IdentityAgent none',
      `  UserKnownHostsFile ${c.knownHostsPath}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  CheckHostIP no',
      '  UpdateHostKeys no',
      '  ConnectTimeout 30',
    ].join('\n'),
  );
  return `# Written by test/harness (dust test cluster). Use: ssh -F <this file> <node name> <command>\n\n${blocks.join('\n\n')}\n`;
}

/** `export KEY='value'` lines for `source DIR/cluster.env`. */
export function renderEnvFile(vars: Record<string, string | number>): string {
  return `${Object.entries(vars)
    .map(([k, v]) => `export ${k}=${shellQuote(String(v))}`)
    .join('\n')}\n`;
}
