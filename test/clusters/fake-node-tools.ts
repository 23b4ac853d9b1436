/**
 * Stand-ins for the programs setup drives but a test machine must not run for real: package managers and pip
 * (they would install on this machine and reach the network), `sudo` (not installed here, and never with
 * rights), `id` (to play a non-root login). Each is a shell script in the node's `~/bin`, put first on PATH by
 * `~/.profile` (which dust's session bootstrap sources after /etc/profile, as a login does). The scripts log
 * their arguments to `~/tools.log`, one line per call, so tests see exactly what dust ran. Everything else
 * (the node's shell, dust's detection, quoting, streaming, exit statuses) is real.
 */
import fs from 'node:fs';
import path from 'node:path';

const PROFILE_LINE = 'PATH="$HOME/bin:$PATH"; export PATH # dust test: fake tools first\n';

/** Puts `~/bin` first on the node's login PATH (idempotent). */
export function preparePath(homeDir: string): void {
  fs.mkdirSync(path.join(homeDir, 'bin'), { recursive: true });
  const profile = path.join(homeDir, '.profile');
  const text = fs.existsSync(profile) ? fs.readFileSync(profile, 'utf8') : '';
  if (!text.includes(PROFILE_LINE)) fs.writeFileSync(profile, text + PROFILE_LINE);
}

function script(homeDir: string, name: string, body: string): void {
  const file = path.join(homeDir, 'bin', name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}`, { mode: 0o755 });
  fs.chmodSync(file, 0o755);
}

/** A package manager that logs `NAME args` and says it installed the last arguments; exits `rc`. */
export function fakePackageManager(homeDir: string, name: string, rc = 0): void {
  script(homeDir, name, `echo "${name} $*" >> "$HOME/tools.log"\necho "${name}: installing (fake) $*"\nexit ${rc}\n`);
}

/** pip3 that logs `pip3 args`. */
export function fakePip(homeDir: string, rc = 0): void {
  script(homeDir, 'pip3', `echo "pip3 $*" >> "$HOME/tools.log"\necho "Successfully installed (fake) $*"\nexit ${rc}\n`);
}

/** `id -u` says 1000 (a non-root login); other uses fall through to the real id. */
export function fakeNonRoot(homeDir: string): void {
  script(homeDir, 'id', 'if [ "$1" = "-u" ]; then echo 1000; else exec /usr/bin/id "$@"; fi\n');
}

/** sudo that logs `sudo args` and runs the command after its options (passwordless, as `sudo -n` needs). */
export function fakeSudo(homeDir: string): void {
  script(homeDir, 'sudo', 'echo "sudo $*" >> "$HOME/tools.log"\nwhile [ $# -gt 0 ]; do case $1 in -*) shift;; *) break;; esac; done\nexec "$@"\n');
}

export function removeTool(homeDir: string, name: string): void {
  fs.rmSync(path.join(homeDir, 'bin', name), { force: true });
}

/** Lines the fake tools logged (and clears the log). */
export function takeLog(homeDir: string): string[] {
  const file = path.join(homeDir, 'tools.log');
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  fs.rmSync(file);
  return lines;
}
