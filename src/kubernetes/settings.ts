/**
 * Whether dust lists pods, and from where: the `kubernetes:` config section and the command line's
 * `--kube-context`, `--kubeconfig`, `--namespace`. Pure and light (no client-node, no file reads), so start-up
 * can decide without loading anything.
 *
 * The rule: Kubernetes is on when the config has a `kubernetes:` section (unless `enabled: false`) or one of
 * the flags is given (the command line wins over `enabled: false`). A KUBECONFIG in the environment or a
 * ~/.kube/config never turns it on by itself: someone whose kubectl points at production must not find
 * production's pods among dust's nodes, nor have `@*` run in them, without asking for it.
 */
import type { KubernetesConfig } from '../config/schema.js';

/** The Kubernetes options of the command line. */
export interface KubernetesCliOptions {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  namespace?: string | undefined;
}

export interface KubernetesSettings {
  enabled: boolean;
  /** Why it is on or off, for messages (`the config's kubernetes: section`, `--kube-context`). */
  reason: string;
  kubeconfig: string | undefined;
  context: string | undefined;
  /** undefined = the context's namespace; `*` = every namespace. */
  namespace: string | undefined;
  selector: string | undefined;
  pageSize: number | undefined;
  keepaliveMs: number | undefined;
  maxConcurrentStarts: number | undefined;
}

export function resolveKubernetesSettings(options: { config: KubernetesConfig | undefined; cli?: KubernetesCliOptions; env?: NodeJS.ProcessEnv }): KubernetesSettings {
  const config = options.config;
  const cli = options.cli ?? {};
  const env = options.env ?? process.env;
  const flags = [
    cli.context !== undefined ? '--kube-context' : undefined,
    cli.kubeconfig !== undefined ? '--kubeconfig' : undefined,
    cli.namespace !== undefined ? '--namespace' : undefined,
  ].filter((f): f is string => f !== undefined);
  let enabled: boolean;
  let reason: string;
  if (flags.length > 0) {
    enabled = true;
    reason = flags.join(', ');
  } else if (config !== undefined && config.enabled !== false) {
    enabled = true;
    reason = "the config's kubernetes: section";
  } else if (config?.enabled === false) {
    enabled = false;
    reason = 'kubernetes.enabled is false in the config';
  } else {
    enabled = false;
    reason = (env['KUBECONFIG'] ?? '') !== ''
      ? 'KUBECONFIG is set, but dust lists pods only when asked: kubernetes: { enabled: true } in the config, or --kube-context'
      : 'no kubernetes: section in the config and no --kube-context, --kubeconfig or --namespace';
  }
  return {
    enabled,
    reason,
    kubeconfig: cli.kubeconfig ?? config?.kubeconfig,
    context: cli.context ?? config?.context,
    namespace: cli.namespace ?? config?.namespace,
    selector: config?.selector,
    pageSize: config?.pageSize,
    keepaliveMs: config?.keepaliveIntervalMs,
    maxConcurrentStarts: config?.maxConcurrentStarts,
  };
}
