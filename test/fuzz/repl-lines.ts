/**
 * Random lines for the REPL fuzz (repl-pty.test.ts), from a grammar over dust's own commands.
 *
 * SAFETY. The demo's nodes are real shells running as the user on this machine, and dust runs a line in
 * the LOCAL shell when its first word is no command (the fallback) or when it starts with `!`. So:
 *   - every line starts with a dust command word or `@`, never `!`, `.`, or anything the fallback takes;
 *   - what reaches a remote shell (`@target cmd`, `gather target cmd`) is `echo`, `printf`, `true` or
 *     `false` with arguments that are plain words or single-quoted text without `'`: no expansion,
 *     redirection, separator or substitution can happen;
 *   - targets hold no whitespace (a space would push junk into the remote command) and name no host list
 *     but the fuzz's own `file:` lists (loopback-only entries);
 *   - file paths for put/get/assign are plain relative names, never `/` or `..`;
 *   - `emulator` (waits for Ctrl-C) and `exit` are never generated.
 * `isSafeLine` checks all of this on every generated line, and the test itself also runs dust with a PATH
 * holding only `node` and a tripwire as its local shell.
 */
import fc from 'fast-check';
import { anyExpression } from './arbitraries.js';

export const REMOTE_PROGRAMS = ['echo', 'printf', 'true', 'false'] as const;
const DEMO_NAMES = ['master', 'worker0', 'worker1', 'worker2', 'web1', 'web2'];
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];
export const HOST_FILES = ['hosts.txt', 'down.txt'];

const safeWord = fc.stringMatching(/^[A-Za-z0-9_,:=+%-]{1,10}$/);
const safeName = fc.stringMatching(/^[a-z][a-z0-9_-]{0,7}$/);
/** Printable text without `'` (and without control characters): literal inside single quotes. */
const quotable = fc.string({ unit: fc.constantFrom(...[...'ab Z9 ;|&$`"\\<>(){}*?!#~%^=,.:/-_[]é€😀✓']), maxLength: 14 });

const remoteArg = fc.oneof(safeWord, quotable.map((t) => `'${t}'`), fc.constantFrom("'%s\\n'", "'Continue? '", "'a\\tb'", '-n', '-e', "''"));
export const remoteCommand = fc.tuple(fc.constantFrom(...REMOTE_PROGRAMS), fc.array(remoteArg, { maxLength: 4 }))
  .map(([p, args]) => [p, ...args].join(' '));

/** Targets: dust's grammar over the demo's names, and junk, never with whitespace or a foreign file:. */
export const target: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('*', ...DEMO_NAMES, 'worker*', 'worker[0-2]', 'web[1-2]', 'slurm1', 'webtest', 'state=running', 'state=stop*',
    'tags=role:web', 'last=failed', 'last=ok,last=unreachable', 'rc=1', '1', '2-4', '[5-9]', 'worker*!worker1', 'web1^web[1-2]', 'master,web*&state=running',
    '(worker0,worker1)&!worker1', 'file:hosts.txt', '!file:down.txt', '*!file:down.txt', 'file:hosts.txt^worker[0-2]', 'index=[1-3]', 'name=w*') },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...DEMO_NAMES, 'worker*', '*', 'slurm1'), fc.constantFrom(',', '&', '!', '^'), fc.constantFrom(...DEMO_NAMES, 'state=running', 'web*'))
    .map(([a, op, b]) => a + op + b) },
  { weight: 2, arbitrary: anyExpression },
).map((t) => t.replace(/\s+/g, '')).filter((t) => !/file:/i.test(t) || /^(!|\*!)?file:(hosts|down)\.txt(\^worker\[0-2\])?$/.test(t));

/** A target that tokenizes as one word (no quotes or backslashes), so the words after it keep their places. */
const plainTarget = target.filter((t) => t !== '' && !/["'\\]/.test(t));

const junkArg = fc.oneof(
  fc.string({ unit: fc.constantFrom(...[...'abz09-_=:,.*?[]()&^"\'\\ x@~#$;|<>{}é😀']), maxLength: 12 }),
  fc.constantFrom('-v', '-vv', '-y', '--wait', '--first', '--last', '--user', '--port', '--nodes', '-x', '--', '-', '=', '*', 'reload', 'targets', 'list', 'up', 'down'),
);

const withTarget = (cmd: string, rest: fc.Arbitrary<string[]> = fc.constant([])): fc.Arbitrary<string> =>
  fc.tuple(target, rest).map(([t, r]) => [cmd, t, ...r].join(' '));

export const replLine: fc.Arbitrary<string> = fc.oneof(
  // What reaches remote shells: 1 line in 25.
  { weight: 3, arbitrary: fc.tuple(fc.oneof(target, fc.constant('')), remoteCommand).map(([t, c]) => (t === '' ? `@ ${c}` : `@${t} ${c}`)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('gather', 'gather --diff'), target.filter((t) => t !== '' && !t.startsWith('-')), remoteCommand)
    .map((p) => p.join(' ')) },
  // Everything else stays inside dust and the emulator.
  { weight: 10, arbitrary: fc.tuple(fc.constantFrom('show', 'show', 'show -v', 'refresh', 'show -vv'), fc.option(target, { nil: undefined }))
    .map(([c, t]) => (t === undefined ? c : `${c} ${t}`)) },
  { weight: 4, arbitrary: fc.oneof(fc.constantFrom('use *', 'use slurm1', 'use webtest', ...REGIONS.map((r) => `use ${r}`)), safeName.map((n) => `use ${n}`)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('help', '?', 'HELP'), fc.option(fc.constantFrom('targets', 'show', '@', 'gather', 'use', 'cluster', 'nosuch'), { nil: undefined }))
    .map(([c, w]) => (w === undefined ? c : `${c} ${w}`)) },
  { weight: 2, arbitrary: withTarget('tag', fc.tuple(safeName, safeName).map(([k, v]) => [`${k}=${v}`])) },
  { weight: 1, arbitrary: withTarget('untag', safeName.map((k) => [k])) },
  // Commands that ask first always get -y: a question would take the next random line as its answer.
  // (A bare `*` asks even with -y, so it is left out here.)
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('stop', 'start', 'start', 'reboot', 'terminate'), target.filter((t) => t !== '*'))
    .map(([c, t]) => `${c} -y ${t}`) },
  // Two cluster names only, so launched instances stay few (a growing inventory would slow every line).
  { weight: 1, arbitrary: fc.oneof(
    fc.tuple(fc.constantFrom('c1', 'c2'), fc.integer({ min: 1, max: 2 })).map(([n, k]) => `cluster up -y ${n} --nodes ${k}`),
    fc.constantFrom('cluster down -y c1', 'cluster down -y c2', 'cluster down -y c1', 'cluster down -y nosuch', 'cluster list')) },
  { weight: 1, arbitrary: withTarget('assign', fc.tuple(safeName, fc.constantFrom('--first', '--last'), fc.option(fc.integer({ min: 1, max: 70000 }), { nil: undefined }))
    .map(([u, p, port]) => ['--user', u, p, ...(port === undefined ? [] : ['--port', String(port)])])) },
  // Files: fixed local names in the fuzz's own directory, relative remote names (the node's home).
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('notes.txt', 'data.csv', '*.txt', 'missing.txt'), plainTarget, fc.option(safeName, { nil: undefined }))
    .map(([f, t, d]) => ['put', f, t, ...(d === undefined ? [] : [d])].join(' ')) },
  { weight: 1, arbitrary: fc.tuple(plainTarget, fc.constantFrom('notes.txt', 'README', 'nosuch'), fc.option(fc.constantFrom('.', 'fetched', 'nodir'), { nil: undefined }))
    .map(([t, f, d]) => ['get', t, f, ...(d === undefined ? [] : [d])].join(' ')) },
  { weight: 1, arbitrary: fc.constantFrom('plugins', 'plugins reload', 'cluster', 'show --nope', 'use', 'get', 'put', 'stop -y', 'cluster up -y') },
  // Junk after a command word. Not for `@`/`gather` (their junk would be a remote command), nor for the
  // commands that ask questions (stop, cluster, assign…: a question would swallow the following lines).
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('show', 'refresh', 'use', 'help', '?', 'tag', 'untag', 'plugins', 'SHOW', 'Use'),
    fc.array(junkArg, { maxLength: 4 })).map(([c, a]) => [c, ...a].join(' ')) },
).map((line) => line.replace(/[\r\n\t\u0000-\u001f\u007f]/g, ' ').trimEnd());

/** The command words a line may start with, as the registry spells them (case-insensitive). */
const COMMAND_WORDS = new Set(['show', 'refresh', 'use', 'help', '?', 'tag', 'untag', 'stop', 'start', 'reboot', 'terminate', 'cluster', 'assign',
  'plugins', 'put', 'get', 'gather']);

/** Whether a generated line keeps the promises in this file's header. */
export function isSafeLine(line: string): boolean {
  if (/[\r\n\u0000-\u001f\u007f]/.test(line)) return false;
  if (line.startsWith('@')) {
    const m = /^@(\S*) (.*)$/.exec(line);
    return m !== null && isSafeTarget(m[1] ?? '') && isHarmlessRemote(m[2] ?? '');
  }
  const word = line.split(' ')[0]?.toLowerCase() ?? '';
  if (!COMMAND_WORDS.has(word)) return false;
  if (word === 'gather') {
    const m = /^gather (?:--diff )?(\S+) (.*)$/.exec(line);
    return m !== null && isSafeTarget(m[1] ?? '') && isHarmlessRemote(m[2] ?? '');
  }
  if (word === 'put' || word === 'get') {
    // The local and remote paths (put: words 1 and 3; get: 2 and 3) are relative names, never / or ..
    const words = line.split(' ');
    if (/["'\\]/.test(line)) return false;
    const paths = word === 'put' ? [words[1], words[3]] : [words[2], words[3]];
    if (paths.some((p) => p !== undefined && (p.startsWith('/') || p.startsWith('~') || p.includes('..')))) return false;
  }
  return !/file:(?!(hosts|down)\.txt)/i.test(line);
}

function isSafeTarget(t: string): boolean {
  return !/\s/.test(t) && !/file:(?!(hosts|down)\.txt)/i.test(t);
}

/** `prog arg…` where prog is harmless and each argument is a plain word or single-quoted text. */
export function isHarmlessRemote(command: string): boolean {
  const m = /^(\S+)((?: (?:[A-Za-z0-9_,:=+%-]+|'[^']*'))*)$/.exec(command);
  return m !== null && (REMOTE_PROGRAMS as readonly string[]).includes(m[1] ?? '');
}
