import fs from 'node:fs';
import path from 'node:path';
import type { CommandContext } from '../../plugins/api.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { expandHome } from '../../config/paths.js';
import { renderSpecTemplate } from '../spec-template.js';
import { clusterSpecSchemaFile } from '../spec-json-schema.js';
import { CLUSTER_PROVIDERS, type ClusterProviderName } from '../spec.js';
import { checkClusterName, usageError } from './common.js';

const SPEC_FILE = /\.(ya?ml|json)$/i;

/**
 * `cluster init [FILE|NAME]`: writes a commented spec with every key (its meaning, default, whether it is
 * required), named after the cluster. Never overwrites a file unless told to.
 */
export function clusterInit(ctx: CommandContext, args: readonly string[]): boolean {
  if (args.length > 1) throw usageError(`cluster init: one file or cluster name, not '${args.join(' ')}'`);
  const providerFlag = typeof ctx.flags['provider'] === 'string' ? ctx.flags['provider'] : 'ec2';
  if (!(CLUSTER_PROVIDERS as readonly string[]).includes(providerFlag)) {
    throw usageError(`cluster init: --provider ${providerFlag} is not a cluster provider`, `one of: ${CLUSTER_PROVIDERS.join(', ')}`);
  }
  const provider = providerFlag as ClusterProviderName;
  const arg = args[0] ?? 'my-cluster';
  const isFile = SPEC_FILE.test(arg) || arg.includes('/');
  const file = path.resolve(ctx.cwd, expandHome(isFile ? arg : `${arg}.yaml`));
  const name = checkClusterName('init', isFile ? path.basename(file).replace(SPEC_FILE, '') : arg);
  if (provider === 'k8s' && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) {
    throw usageError(`cluster init: '${name}' cannot name pods (Kubernetes names are lowercase letters, digits and -)`, 'pick a name such as ray1');
  }
  if (fs.existsSync(file) && ctx.flags['force'] !== true) {
    throw new DustError(ErrorCodes.Usage, `cluster init: ${file} already exists; nothing written`, { hint: 'edit it and run `cluster up -f FILE`, or pass --force to replace it' });
  }
  const defaults = ctx.state.clusterProviders().find((p) => p.kind === provider)?.specDefaults?.() ?? {};
  const text = renderSpecTemplate({ provider, name, schemaUrl: clusterSpecSchemaFile(), values: defaults });
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode: 0o644 });
  } catch (err) {
    throw new DustError(ErrorCodes.Usage, `cluster init: cannot write ${file} (${(err as Error).message.split('\n')[0]})`, { hint: 'pick a folder you can write to', cause: err });
  }
  if (ctx.out.json) ctx.out.record({ type: 'cluster-init', cluster: name, provider, file });
  ctx.out.success(`wrote ${file} (${provider} cluster ${name}, every key with its default)`);
  ctx.out.info(`edit it, then: cluster up -f ${path.relative(ctx.cwd, file) || file}`);
  return true;
}
