/**
 * Which cluster, user, context and namespace dust talks to, resolved the way kubectl resolves them: an explicit
 * path (or `:`-separated list), else `KUBECONFIG`, else `~/.kube/config`, else the in-cluster service account.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import type { KubeSdk } from './sdk.js';
import { kubeconfigFiles } from './kubeconfig-names.js';

export interface KubeconfigOptions {
  /** A kubeconfig path, or several joined with `:` (merged as kubectl merges KUBECONFIG). */
  kubeconfig?: string | undefined;
  /** Context name (default: the kubeconfig's current-context). */
  context?: string | undefined;
  /** Namespace (default: the context's, else `default`); `*` for every namespace. */
  namespace?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

export interface ResolvedKubeconfig {
  kc: KubeConfig;
  context: string;
  /** undefined = every namespace. */
  namespace: string | undefined;
  /** The API server URL of the context's cluster. */
  server: string;
  /** Where the configuration came from (files, or `in-cluster`), for messages. */
  source: string;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const HINT = 'point dust at a cluster: --kubeconfig FILE, the KUBECONFIG variable, or ~/.kube/config (`kubectl config view` shows what kubectl uses)';

export function loadKubeconfig(sdk: KubeSdk, options: KubeconfigOptions = {}): ResolvedKubeconfig {
  const env = options.env ?? process.env;
  const kc = new sdk.KubeConfig();
  const list = options.kubeconfig ?? env['KUBECONFIG'];
  let source: string;
  if (list !== undefined && list.trim() !== '') {
    const files = kubeconfigFiles(list, env);
    const present = files.filter((f) => existsSync(f));
    if (present.length === 0) {
      throw new DustError(ErrorCodes.KubeConfig, `Kubernetes: kubeconfig ${files.join(path.delimiter)} not found`, { hint: HINT });
    }
    present.forEach((file, i) => {
      const into = i === 0 ? kc : new sdk.KubeConfig();
      try {
        into.loadFromFile(file);
      } catch (err) {
        throw new DustError(ErrorCodes.KubeConfig, `Kubernetes: cannot read kubeconfig ${file}: ${firstLine(err)}`, { hint: 'fix the file (`kubectl config view --kubeconfig FILE` shows what is wrong)', cause: err });
      }
      // kubectl's rule: the first file to set a value wins, current-context included.
      if (i > 0) kc.mergeConfig(into, true);
    });
    source = present.join(path.delimiter);
  } else {
    const [home] = kubeconfigFiles(undefined, env) as [string];
    if (existsSync(home)) {
      try {
        kc.loadFromFile(home);
      } catch (err) {
        throw new DustError(ErrorCodes.KubeConfig, `Kubernetes: cannot read kubeconfig ${home}: ${firstLine(err)}`, { hint: 'fix the file (`kubectl config view` shows what is wrong)', cause: err });
      }
      source = home;
    } else if (existsSync(SERVICE_ACCOUNT_TOKEN)) {
      kc.loadFromCluster();
      source = 'in-cluster';
    } else {
      throw new DustError(ErrorCodes.KubeConfig, 'Kubernetes: no kubeconfig found (KUBECONFIG is unset and ~/.kube/config does not exist)', { hint: HINT });
    }
  }
  if (options.context !== undefined && options.context !== '') {
    if (!kc.getContextObject(options.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new DustError(ErrorCodes.KubeConfig, `Kubernetes: no context '${options.context}' in ${source}`, {
        hint: known.length > 0 ? `contexts there: ${known.join(', ')}` : 'the kubeconfig defines no contexts',
      });
    }
    kc.setCurrentContext(options.context);
  }
  const context = kc.getCurrentContext();
  const contextObject = context ? kc.getContextObject(context) : null;
  if (!contextObject) {
    throw new DustError(ErrorCodes.KubeConfig, `Kubernetes: ${source} has no current context`, {
      hint: 'name one with --context (or `kubectl config use-context NAME`)',
    });
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new DustError(ErrorCodes.KubeConfig, `Kubernetes: context '${context}' names cluster '${contextObject.cluster}', which ${source} does not define`, { hint: 'fix the context in the kubeconfig' });
  }
  const wanted = options.namespace;
  const namespace = wanted === '*' ? undefined : wanted !== undefined && wanted !== '' ? wanted : (contextObject.namespace ?? 'default');
  return { kc, context, namespace, server: cluster.server, source };
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').trim();
}
