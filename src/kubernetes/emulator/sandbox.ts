/**
 * The files of one emulated pod under `<root>/<namespace>/<pod>/`: a `home/` that is the container's HOME and
 * working directory, and a `bin/` first on PATH whose `hostname` prints the pod name (a pod's hostname is its
 * name; every emulated pod is this machine, so the real `hostname` would print the same everywhere).
 */
import { existsSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir } from '../../demo/node-files.js';

export interface PodSandbox {
  dir: string;
  home: string;
  bin: string;
}

export function podSandbox(root: string, namespace: string, name: string): PodSandbox {
  const dir = path.join(root, namespace, name);
  return { dir, home: path.join(dir, 'home'), bin: path.join(dir, 'bin') };
}

/** Creates the sandbox (again, after a wipe). Idempotent: the home keeps what sessions wrote into it. */
export function preparePodSandbox(sandbox: PodSandbox, podName: string, namespace: string): void {
  ensurePrivateDir(sandbox.dir);
  ensurePrivateDir(sandbox.home);
  ensurePrivateDir(sandbox.bin);
  const hostname = path.join(sandbox.bin, 'hostname');
  writeFileSync(hostname, `#!/bin/sh\n# dust kubernetes emulator: the machine is shared, the pod name is not.\necho ${podName}\n`, { mode: 0o700 });
  chmodSync(hostname, 0o700);
  // /etc/profile resets PATH on Debian-like systems and dust's shells source it: put bin/ (hostname) back first.
  const profile = path.join(sandbox.home, '.profile');
  if (!existsSync(profile)) {
    writeFileSync(profile, PROFILE, { mode: 0o600 });
  }
  const readme = path.join(sandbox.home, 'README');
  if (!existsSync(readme)) {
    writeFileSync(
      readme,
      `This is pod ${podName} (namespace ${namespace}) of dust's Kubernetes emulator: a sandboxed directory on your own machine, running locally as your user.\n`,
      { mode: 0o600 },
    );
  }
}

/** The emulator sets DUST_POD_BIN for every exec; the file prints nothing (dust reads session output). */
const PROFILE = `# dust kubernetes emulator pod
if [ -n "\${DUST_POD_BIN:-}" ]; then
  case ":$PATH:" in
    ":$DUST_POD_BIN:"*) ;;
    *) PATH="$DUST_POD_BIN:$PATH"; export PATH ;;
  esac
fi
`;

/** Removes everything the pod's sessions wrote: a restarted container starts from its image again. */
export function wipePodSandbox(sandbox: PodSandbox): void {
  rmSync(sandbox.dir, { recursive: true, force: true });
}
