import { execFile } from 'node:child_process';

export interface SyntaxErrorAt {
  /** `file:line:col` (or `file:line` when no column could be read). */
  where: string;
  message: string;
}

/**
 * Where a plugin file's syntax error is. Node's ES-module loader throws a SyntaxError without any file
 * or line (even in its stack), so the file is compiled once more by `node --check`, which prints
 * `file:line`, the source line and a caret. Runs only after a load already failed; undefined when the
 * check finds nothing (the SyntaxError was thrown by the plugin's own code, e.g. JSON.parse).
 */
export function locateSyntaxError(file: string): Promise<SyntaxErrorAt | undefined> {
  // A .js drop-in is loaded as an ES module when it has ES syntax (the plugins folder has no package.json);
  // check it as one, which also parses CommonJS code (module.exports is just a name to a module).
  const args = [...(/\.js$/.test(file) ? ['--experimental-default-type=module'] : []), '--check', file];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: 15000, env: { ...process.env, NODE_NO_WARNINGS: '1' } }, (err, _stdout, stderr) => {
      resolve(err ? parseCheckOutput(file, String(stderr)) : undefined);
    });
  });
}

/** `node --check` output: `file:line`, the source line, a caret line, a blank line, `SyntaxError: message`. */
export function parseCheckOutput(file: string, text: string): SyntaxErrorAt | undefined {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l === file || (l.startsWith(`${file}:`) && /^\d+$/.test(l.slice(file.length + 1))));
  const message = lines.map((l) => /^SyntaxError: (.*)$/.exec(l)?.[1]).find((m) => m !== undefined);
  if (at < 0 || message === undefined) return undefined;
  const line = lines[at]!.slice(file.length + 1);
  const caret = lines[at + 2]?.indexOf('^') ?? -1;
  return { where: `${file}${line ? `:${line}` : ''}${line && caret >= 0 ? `:${caret + 1}` : ''}`, message };
}
