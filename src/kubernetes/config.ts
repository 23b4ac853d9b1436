import { z } from 'zod';

/**
 * The `kubernetes:` config section (proposed for src/config/schema.ts): the pods of one kubeconfig context as
 * nodes. Present = on (unless `enabled: false`); client-node loads only then.
 */
export const KubernetesConfigSchema = z.strictObject({
  enabled: z.boolean().optional(),
  /** Kubeconfig path(s), `:`-separated; default KUBECONFIG, else ~/.kube/config, else in-cluster. */
  kubeconfig: z.string().min(1).optional(),
  /** Context; default the kubeconfig's current-context. */
  context: z.string().min(1).optional(),
  /** Namespace; default the context's, else `default`. `'*'` = every namespace. */
  namespace: z.string().min(1).optional(),
  /** Label selector (`app=web,tier!=db`): only these pods become nodes. */
  selector: z.string().min(1).optional(),
  /** LIST page size (the API server caps it too). */
  pageSize: z.number().int().min(1).max(5000).optional(),
  /** WebSocket keepalive ping for exec streams, ms (0 = off). */
  keepaliveIntervalMs: z.number().int().nonnegative().optional(),
  /** Exec streams being opened at once (shells, commands, file operations); open ones do not count. */
  maxConcurrentStarts: z.number().int().positive().optional(),
});

export type KubernetesConfig = z.infer<typeof KubernetesConfigSchema>;
