import fs from 'node:fs';
import path from 'node:path';
import type { CommandContext, CommandSpec, DustNode } from '../api.js';
import type { LoginRule } from '../../config/schema.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { expandHome } from '../../config/paths.js';
import { foldNodeNames, parseTarget, resolveTarget } from '../../targets/index.js';
import { effectiveRules, type LoginRulesStore, type RulePrecedence } from '../../inventory/login-rules-store.js';
import { readHostList } from '../../inventory/host-files.js';

export interface AssignOptions {
  store: LoginRulesStore;
  /** The config's `logins:` (the store's rules go around them). */
  configRules: readonly LoginRule[];
  /** Called with the new effective rule list; the shell wires it to `inventory.setRules`. */
  onRulesChanged(rules: readonly LoginRule[]): void;
}

const ADDRESS = /^[\w.:-]+$/;

function checkKeyFile(file: string): string | undefined {
  const full = path.resolve(expandHome(file));
  try {
    if (!fs.statSync(full).isFile()) return `${full} is not a file`;
    fs.accessSync(full, fs.constants.R_OK);
    return undefined;
  } catch {
    return `cannot read ${full}`;
  }
}

function parsePort(text: string): number | undefined {
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

/**
 * `assign <selector>`: writes a login rule (who to log in as, with which key, in which cluster) for the
 * nodes a target expression selects — now and whenever the inventory changes. Flags make it
 * scriptable; on a terminal, missing answers are asked. The rule applies at once.
 */
export function assignCommand(options: AssignOptions): CommandSpec {
  return {
    name: 'assign',
    usage: 'assign <selector> [--user U] [--key FILE] [--cluster C] [--port N] [--address ip|private_ip|dns] [--first|--last]',
    summary: 'write a login rule (user, key, cluster) for the nodes a target selects; applies at once',
    help: 'The selector is any target expression (worker*, tags=role:web, cluster=slurm1, state=running&type=t3.*), matched\n'
      + 'against the whole inventory each time it changes. The first matching rule wins: --first (default) puts the rule\n'
      + 'ahead of the config\'s logins:, --last after them. Rules are kept in $DUST_HOME/logins.yaml.\n'
      + 'Without flags on a terminal, assign asks for each value.',
    examples: ['assign worker* --user ubuntu --key ~/.ssh/slurm.pem --cluster slurm1', 'assign tags=role:web --user ec2-user --last', 'assign 3'],
    target: { mode: 'none' },
    flags: {
      user: { type: 'string', short: 'u', description: 'login user' },
      key: { type: 'string', short: 'k', description: 'private key file (must exist)', path: 'file' },
      cluster: { type: 'string', short: 'c', description: 'cluster the nodes belong to (groups show, `use <cluster>`)' },
      port: { type: 'string', short: 'p', description: 'SSH port' },
      address: { type: 'string', description: 'which address to connect to: ip, private_ip, dns, or a host' },
      first: { type: 'boolean', description: 'highest precedence (default): ahead of the config\'s logins' },
      last: { type: 'boolean', description: 'lowest precedence: after the config\'s logins' },
    },
    run: (ctx) => runAssign(ctx, options),
  };
}

async function runAssign(ctx: CommandContext, options: AssignOptions): Promise<boolean> {
  const selector = ctx.positionals.join(' ').trim();
  if (selector === '') {
    throw new DustError(ErrorCodes.Usage, 'assign: which nodes? give a selector', { hint: 'e.g. assign worker* --user ubuntu --key ~/.ssh/id_ed25519' });
  }
  if (ctx.flags['first'] === true && ctx.flags['last'] === true) {
    throw new DustError(ErrorCodes.Usage, 'assign: --first and --last exclude each other');
  }
  const matched = await matchSelector(ctx, selector);
  if (matched.length === 0) {
    throw new DustError(ErrorCodes.TargetNoMatch, `assign: '${selector}' matches no node now`, { hint: '`show <selector>` to try it; rules are for nodes that exist' });
  }
  ctx.out.info(`'${selector}' matches ${matched.length} node${matched.length === 1 ? '' : 's'}: ${foldNodeNames(matched.map((n) => n.name))}`);

  const str = (k: string): string | undefined => (typeof ctx.flags[k] === 'string' ? (ctx.flags[k] as string) : undefined);
  const given = ['user', 'key', 'cluster', 'port', 'address'].some((k) => str(k) !== undefined);
  const rule: LoginRule = { selector };
  let precedence: RulePrecedence = ctx.flags['last'] === true ? 'last' : 'first';

  if (given) {
    const user = str('user');
    const key = str('key');
    const cluster = str('cluster');
    const port = str('port');
    const address = str('address');
    if (user !== undefined) rule.user = user;
    if (key !== undefined) {
      const problem = checkKeyFile(key);
      if (problem) throw new DustError(ErrorCodes.Usage, `assign: --key: ${problem}`, { hint: 'give the path of an existing private key file' });
      rule.identityFile = path.resolve(expandHome(key));
    }
    if (cluster !== undefined) rule.cluster = cluster;
    if (port !== undefined) {
      const n = parsePort(port);
      if (n === undefined) throw new DustError(ErrorCodes.Usage, `assign: --port must be 1..65535, not '${port}'`);
      rule.port = n;
    }
    if (address !== undefined) {
      if (!ADDRESS.test(address)) throw new DustError(ErrorCodes.Usage, `assign: --address must be ip, private_ip, dns or a host, not '${address}'`);
      rule.address = address;
    }
  } else {
    if (!ctx.out.isTTY) {
      throw new DustError(ErrorCodes.Usage, 'assign: nothing to assign', { hint: 'pass --user, --key, --cluster, --port or --address (or run it on a terminal to be asked)' });
    }
    const user = await ctx.prompt.ask('login user (empty: none)');
    if (user !== '') rule.user = user;
    const key = await ctx.prompt.ask('private key file (empty: none)', { validate: (a) => (a === '' ? undefined : checkKeyFile(a)) });
    if (key !== '') rule.identityFile = path.resolve(expandHome(key));
    const cluster = await ctx.prompt.ask('cluster (empty: none)');
    if (cluster !== '') rule.cluster = cluster;
    const answer = await ctx.prompt.ask('precedence: [f]irst (ahead of the config) or [l]ast', {
      default: 'first',
      validate: (a) => (/^(f|first|l|last)$/i.test(a) ? undefined : 'answer first or last'),
    });
    precedence = answer.toLowerCase().startsWith('l') ? 'last' : 'first';
    if (rule.user === undefined && rule.identityFile === undefined && rule.cluster === undefined) {
      ctx.out.info('nothing to assign: no rule written');
      return true;
    }
  }

  await options.store.add(rule, precedence);
  options.onRulesChanged(effectiveRules(options.configRules, options.store));
  ctx.state.invalidate();
  const parts = [
    rule.user ? `user=${rule.user}` : '', rule.identityFile ? `key=${rule.identityFile}` : '', rule.cluster ? `cluster=${rule.cluster}` : '',
    rule.port ? `port=${rule.port}` : '', rule.address ? `address=${rule.address}` : '',
  ].filter((p) => p !== '');
  ctx.out.success(`login rule '${selector}' → ${parts.join(' ')} (${precedence}), saved in ${options.store.file}`);
  return true;
}

/** Resolves a selector as login rules do: against the whole inventory, not the working set. */
async function matchSelector(ctx: CommandContext, selector: string): Promise<DustNode[]> {
  const tree = parseTarget(selector);
  const nodes = await ctx.state.nodes();
  const clusterNames = new Set(await ctx.state.clusters());
  return resolveTarget(tree, { nodes, workingSet: nodes, clusterNames, hostList: (file) => readHostList(file).list });
}
