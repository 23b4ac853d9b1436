import fs from 'node:fs';
import path from 'node:path';
import type { ClusterState } from '../plugins/api.js';
import type { CommandRegistry } from '../plugins/registry.js';
import type { DustNode } from '../inventory/node.js';
import { nodeProperty } from '../inventory/node.js';
import { describeTargetKeys } from '../targets/index.js';
import { expandHome } from '../config/paths.js';
import { tokenize } from './tokenize.js';
import { LAST_RESULT_KEYS } from './last-results.js';

/**
 * Tab completion: command names at the start, target words where a command takes a target
 * (node names, cluster names, `key=` and their values), and whatever a command's own complete() offers.
 * Returns readline's [candidates, the substring being completed].
 */
export async function complete(line: string, registry: CommandRegistry, state: ClusterState): Promise<[string[], string]> {
  const prefixCmd = line.length > 0 ? registry.lookupPrefix(line[0]!) : undefined;
  if (prefixCmd && !/\s/.test(line)) {
    if (!prefixCmd.spec.target || prefixCmd.spec.target.mode === 'none') return [[], line];
    const word = line.slice(1);
    const hits = await completeTarget(word, state);
    return [hits.map((h) => `${line[0]}${h}`), line];
  }
  const endsWithSpace = /\s$/.test(line);
  let words: string[];
  try {
    words = tokenize(line);
  } catch {
    return [[], ''];
  }
  if (words.length === 0 || (words.length === 1 && !endsWithSpace)) {
    const w = words[0] ?? '';
    const names = registry.words().filter((n) => n.startsWith(w.toLowerCase()) && n !== '?');
    return [names.map((n) => `${n} `), w];
  }
  const word = endsWithSpace ? '' : words[words.length - 1]!;
  const args = words.slice(1, endsWithSpace ? undefined : -1);
  const cmd = registry.lookup(words[0]!);
  if (!cmd) return [[], word];
  const positionalIndex = args.filter((a) => !a.startsWith('-')).length;
  const target = cmd.spec.target;
  const wantsTarget = (target && target.mode !== 'none' && (target.position ?? 0) === positionalIndex && !word.startsWith('-'))
    || (cmd.spec.name === 'show' && !word.startsWith('-'));
  const fromCommand = cmd.spec.complete ? await cmd.spec.complete({ args, word, state }) : [];
  const fromTarget = wantsTarget ? await completeTarget(word, state) : [];
  return [[...new Set([...fromCommand, ...fromTarget])], word];
}

/** Completes the last term of a target expression (after `,`, `&`, `!`, `^`, `(`). */
export async function completeTarget(word: string, state: ClusterState): Promise<string[]> {
  const cut = Math.max(...[',', '&', '!', '^', '('].map((op) => word.lastIndexOf(op)));
  const head = word.slice(0, cut + 1);
  const term = word.slice(cut + 1);
  if (/^file:/i.test(term)) return completePath(term.slice('file:'.length)).map((p) => `${head}${term.slice(0, 5)}${p}`);
  let nodes: readonly DustNode[];
  try {
    nodes = await state.workingSet();
  } catch {
    return [];
  }
  const lower = term.toLowerCase();
  const eq = term.indexOf('=');
  let candidates: string[];
  if (eq >= 0) {
    const key = term.slice(0, eq);
    candidates = valuesFor(key, nodes, state).map((v) => `${key}=${v}`);
  } else {
    const keys = describeTargetKeys(nodes, LAST_RESULT_KEYS).map((k) => `${k}=`);
    candidates = [...nodes.map((n) => n.name), ...(await state.clusters()), ...keys, 'file:'];
  }
  return [...new Set(candidates.filter((c) => c.toLowerCase().startsWith(lower)))].sort().map((c) => head + c);
}

function valuesFor(key: string, nodes: readonly DustNode[], state: ClusterState): string[] {
  const k = key.toLowerCase();
  const values = new Set<string>();
  for (const n of nodes) {
    if (k === 'last' || k === 'rc') {
      const run = state.lastRun(n);
      const v = k === 'last' ? run?.status : run?.exitCode;
      if (v !== undefined && v !== null) values.add(String(v));
    } else if (k === 'tags' || k === 'tag') for (const [tk, tv] of Object.entries(n.tags)) values.add(`${tk}:${tv}`);
    else if (k === 'annotation' || k === 'annotations') for (const a of Object.keys(n.annotations)) values.add(a);
    else {
      const v = nodeProperty(n, k);
      if (v !== undefined && v !== null && v !== '') values.add(String(v));
    }
    if (values.size > 200) break;
  }
  return [...values];
}

/** Paths for `file:` (host lists): entries of the directory typed so far; directories end in `/`. */
function completePath(partial: string): string[] {
  const slash = partial.lastIndexOf('/');
  const dirPart = partial.slice(0, slash + 1);
  const base = partial.slice(slash + 1);
  try {
    const dir = path.resolve(expandHome(dirPart === '' ? '.' : dirPart));
    return fs.readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.name.startsWith(base) && (base.startsWith('.') || !d.name.startsWith('.')))
      .map((d) => `${dirPart}${d.name}${d.isDirectory() ? '/' : ''}`)
      .sort()
      .slice(0, 200);
  } catch {
    return [];
  }
}
