/**
 * Running a line in the local shell for a client: with the terminal handed over (vim, less), or with stdout
 * captured (under --json, where stdout carries records only). A remote client (`dust attach`) does this on its
 * own machine; the in-process shell does it here.
 */
import { spawn } from 'node:child_process';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

export interface LocalRunOptions {
  cwd: string;
  /** Capture stdout instead of handing over the terminal. */
  captureStdout: boolean;
}

export interface LocalRunResult {
  exitCode: number;
  stdout?: string;
}

export const localShell = (): string => process.env['SHELL_FOR_DUST'] ?? '/bin/sh';

export function spawnLocal(command: string, opts: LocalRunOptions): Promise<LocalRunResult> {
  return new Promise<LocalRunResult>((resolve, reject) => {
    const child = spawn(localShell(), ['-c', command], { cwd: opts.cwd, stdio: opts.captureStdout ? ['inherit', 'pipe', 'inherit'] : 'inherit' });
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => chunks.push(d));
    child.on('error', (err) => reject(new DustError(ErrorCodes.LocalShell, `local shell: ${err.message}`, { cause: err })));
    child.on('close', (status, signal) => {
      const exitCode = status ?? (signal ? 128 : 1);
      resolve(opts.captureStdout ? { exitCode, stdout: Buffer.concat(chunks).toString('utf8') } : { exitCode });
    });
  });
}
