/**
 * The files of one demo node under `<dir>/nodes/<name>/`: a sandbox home with a labelled prompt and a README,
 * and a `bin/` put first on PATH whose `hostname` prints the node's name (every demo node is this machine, so
 * the real `hostname` would print the same everywhere).
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface DemoNodePaths {
  /** `<dir>/nodes/<name>`: host key and node state. */
  nodeDir: string;
  /** `<nodeDir>/home`: HOME and start directory of every session. */
  homeDir: string;
  /** `<nodeDir>/bin`: first on PATH. */
  binDir: string;
  hostKeyPath: string;
}

/** `group`: `nodes` for the seeded fleet (kept across runs), `instances` for instances launched while the demo runs. */
export function demoNodePaths(dir: string, name: string, group: 'nodes' | 'instances' = 'nodes'): DemoNodePaths {
  const nodeDir = path.join(dir, group, name);
  return {
    nodeDir,
    homeDir: path.join(nodeDir, 'home'),
    binDir: path.join(nodeDir, 'bin'),
    hostKeyPath: path.join(nodeDir, 'ssh_host_ed25519_key'),
  };
}

/** Creates 0700 directories (and tightens existing ones: they hold private keys). */
export function ensurePrivateDir(dirPath: string): void {
  mkdirSync(dirPath, { recursive: true, mode: 0o700 });
  chmodSync(dirPath, 0o700);
}

/**
 * Writes the node's scripts (always, so they follow dust upgrades) and its home files (only when missing: the
 * home is the user's sandbox and may have been edited). The dotfiles print nothing: dust reads session output.
 */
export function writeDemoNodeFiles(paths: DemoNodePaths, name: string): void {
  ensurePrivateDir(paths.nodeDir);
  ensurePrivateDir(paths.homeDir);
  ensurePrivateDir(paths.binDir);
  writeHostname(paths, name);
  for (const tool of SIMULATED_TOOLS) writeScript(path.join(paths.binDir, tool), simulatedToolScript(tool));
  writeIfMissing(path.join(paths.homeDir, '.bashrc'), BASHRC);
  writeIfMissing(path.join(paths.homeDir, '.profile'), PROFILE);
  writeIfMissing(
    path.join(paths.homeDir, 'README'),
    `This is ${name}, a dust demo node: a sandboxed home on your own machine, running locally as your user.\n`,
  );
}

/** (Re)writes the `hostname` script (a launched instance gets its Name tag after launch). */
export function writeHostname(paths: DemoNodePaths, name: string): void {
  writeScript(path.join(paths.binDir, 'hostname'), hostnameScript(name));
}

/**
 * Package managers and pip, simulated: a demo node is this machine, and a cluster spec's `dependencies` (or
 * `@* sudo apt-get install …`) must never install anything on it, as root or not, nor reach the network. They
 * come first on the node's PATH; setup runs them by the absolute path it found, so even `sudo -n` runs these.
 */
export const SIMULATED_TOOLS = ['dnf', 'yum', 'apt-get', 'apt', 'zypper', 'apk', 'pip3', 'pip'] as const;

function simulatedToolScript(tool: string): string {
  return `#!/bin/sh
# dust demo node: ${tool} is simulated so nothing is installed on this machine (it is every demo node).
echo "demo: ${tool} $*: simulated on a demo node, nothing installed"
exit 0
`;
}

function hostnameScript(name: string): string {
  // Options such as -f or -s still print the demo name: nodes have no domain.
  return `#!/bin/sh\n# dust demo node: the machine is shared, the name is not.\necho ${name}\n`;
}

// DUST_DEMO_NODE and DUST_DEMO_BIN are set by the demo server for every session.
const BASHRC = `# dust demo node
case $- in *i*) ;; *) return ;; esac
PS1="demo:\${DUST_DEMO_NODE:-node}:\\w\\$ "
`;

// /etc/profile resets PATH on Debian-like systems, so the node's bin/ is put back in front here.
const PROFILE = `# dust demo node
if [ -n "\${DUST_DEMO_BIN:-}" ]; then
  case ":$PATH:" in
    ":$DUST_DEMO_BIN:"*) ;;
    *) PATH="$DUST_DEMO_BIN:$PATH"; export PATH ;;
  esac
fi
if [ -n "\${BASH_VERSION:-}" ]; then
  [ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"
else
  PS1="demo:\${DUST_DEMO_NODE:-node}\$ "
fi
`;

function writeScript(filePath: string, text: string): void {
  writeFileSync(filePath, text, { mode: 0o700 });
  chmodSync(filePath, 0o700);
}

function writeIfMissing(filePath: string, text: string): void {
  if (!existsSync(filePath)) writeFileSync(filePath, text, { mode: 0o600 });
}
