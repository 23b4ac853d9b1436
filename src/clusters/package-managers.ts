/**
 * Installing a spec's `dependencies` on a node: which package manager and pip it has, whether it needs sudo, and
 * the one-line commands (run in the node's persistent shell, never waiting for input).
 *
 * The commands use the absolute path `command -v` found, so `sudo -n` (whose secure_path would otherwise pick
 * its own) runs the same program that was detected: a package manager earlier on the login PATH, such as the
 * demo nodes' simulated ones, stays the one used.
 */
import { shQuote } from '../sessions/shell-protocol.js';

export type PackageManagerName = 'dnf' | 'yum' | 'apt-get' | 'zypper' | 'apk';

/** Looked for in this order: dnf before yum (yum is dnf's alias where both exist), the distribution's own first. */
export const PACKAGE_MANAGERS: readonly PackageManagerName[] = ['dnf', 'yum', 'apt-get', 'zypper', 'apk'];

/** What a node said about itself. */
export interface NodeFacts {
  /** The package manager found, with its absolute path. */
  packageManager: { name: PackageManagerName; path: string } | undefined;
  /** Logged in as root. */
  root: boolean;
  /** Path of sudo, when the node has it. */
  sudo: string | undefined;
}

const FACT = 'dust-fact';

/** A line that prints `dust-fact <key> <value>` lines the parser below reads (no newlines: one shell line). */
export function factsProbe(): string {
  const managers = PACKAGE_MANAGERS.join(' ');
  return [
    `for m in ${managers}; do p=$(command -v "$m" 2>/dev/null) && case $p in /*) echo "${FACT} pm $m $p"; break;; esac; done`,
    `echo "${FACT} uid $(id -u)"`,
    `p=$(command -v sudo 2>/dev/null) && echo "${FACT} sudo $p"`,
    'true',
  ].join('; ');
}

export function parseFacts(lines: readonly string[]): NodeFacts {
  const facts: NodeFacts = { packageManager: undefined, root: false, sudo: undefined };
  for (const line of lines) {
    const m = new RegExp(`^${FACT} (\\S+) (.*)$`).exec(line.trim());
    if (!m) continue;
    const [, key, value = ''] = m;
    if (key === 'pm') {
      const [name, ...rest] = value.split(' ');
      if ((PACKAGE_MANAGERS as readonly string[]).includes(name ?? '')) facts.packageManager = { name: name as PackageManagerName, path: rest.join(' ') };
    } else if (key === 'uid') {
      facts.root = value.trim() === '0';
    } else if (key === 'sudo') {
      facts.sudo = value.trim();
    }
  }
  return facts;
}

/** The install command for `packages` (already validated non-empty), with `prefix` (`sudo -n`) when not root. */
export function installCommand(pm: { name: PackageManagerName; path: string }, packages: readonly string[], prefix: string): string {
  const bin = `${prefix}${shQuote(pm.path)}`;
  const names = packages.map(shQuote).join(' ');
  switch (pm.name) {
    case 'apt-get': {
      // cloud-init and unattended-upgrades hold dpkg's lock for a while after boot: wait for it instead of failing.
      const env = `${prefix}env DEBIAN_FRONTEND=noninteractive ${shQuote(pm.path)}`;
      const lock = '-o DPkg::Lock::Timeout=300';
      return `${env} -q ${lock} update && ${env} -q -y ${lock} install ${names}`;
    }
    case 'dnf':
    case 'yum':
      return `${bin} -y install ${names}`;
    case 'zypper':
      return `${bin} --non-interactive install ${names}`;
    case 'apk':
      return `${bin} add --no-progress ${names}`;
  }
}

/** Why packages cannot be installed on this node, or the prefix that makes it possible (`''` as root). */
export function privilegePrefix(facts: NodeFacts): { prefix: string } | { problem: string } {
  if (facts.root) return { prefix: '' };
  if (facts.sudo) return { prefix: `${shQuote(facts.sudo)} -n ` };
  return { problem: 'installing packages needs root, and this login is not root and has no sudo' };
}

/**
 * A line that prints `dust-fact pip <how>`: `pip3`, `pip`, or `python3 -m pip`, in that order (a `pip3` on the
 * PATH is the one the distribution's python3-pip installed; `-m pip` covers Pythons that ship pip only as a
 * module). Run after the system packages, which may have brought pip.
 */
export function pipProbe(): string {
  return [
    'for c in pip3 pip; do p=$(command -v "$c" 2>/dev/null) && case $p in /*) echo "dust-fact pip $p"; break;; esac; done',
    'p=$(command -v python3 2>/dev/null) && "$p" -m pip --version >/dev/null 2>&1 && echo "dust-fact pip $p -m pip"',
    'true',
  ].join('; ');
}

/** The first pip the probe found (`/usr/bin/pip3`, or `/usr/bin/python3 -m pip`). */
export function parsePip(lines: readonly string[]): string | undefined {
  for (const line of lines) {
    const m = /^dust-fact pip (.+)$/.exec(line.trim());
    if (m) return m[1];
  }
  return undefined;
}

/**
 * pip install as the login user: `--user` unless root or inside a virtualenv (where `--user` is refused). pip
 * never runs under sudo (it would write into the system Python's site-packages).
 */
export function pipInstallCommand(pip: string, packages: readonly string[], root: boolean): string {
  const [exe = pip, ...args] = pip.split(' ');
  const invoke = [shQuote(exe), ...args].join(' ');
  const user = root ? '' : '$([ -n "${VIRTUAL_ENV:-}" ] || echo --user) ';
  return `${invoke} install --disable-pip-version-check --progress-bar off ${user}${packages.map(shQuote).join(' ')}`;
}
