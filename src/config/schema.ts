import { z } from 'zod';
import { parseTarget } from '../targets/parser.js';

/** A login rule's selector must parse, so a typo is reported at start-up (file and rule) and not on every command. */
const SelectorSchema = z.string().min(1).superRefine((selector, ctx) => {
  try {
    parseTarget(selector);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
  }
});

/** A static node as written in config. `name` may be a range (`worker[0-3]`) paired with a host range of the same length. */
export const StaticNodeSchema = z.strictObject({
  name: z.string().min(1),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).optional(),
  user: z.string().min(1).optional(),
  identityFile: z.string().min(1).optional(),
  proxyJump: z.string().min(1).optional(),
  cluster: z.string().min(1).optional(),
  state: z.string().min(1).optional(),
  tags: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
  /** Free-form extra properties, usable in `key=value` targets. */
  props: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});

/** dust's login model: the first rule whose selector matches a node gives its login and cluster membership. */
export const LoginRuleSchema = z.strictObject({
  selector: SelectorSchema,
  user: z.string().min(1).optional(),
  identityFile: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  proxyJump: z.string().min(1).optional(),
  cluster: z.string().min(1).optional(),
  /** Which address to connect to: a node property name (`ip`, `private_ip`, `dns`) or a literal host. */
  address: z.string().min(1).optional(),
});

/**
 * The `kubernetes:` section: the pods of one kubeconfig context as nodes. Present = on (unless `enabled: false`);
 * `--kube-context`, `--kubeconfig` or `--namespace` turn it on too. KUBECONFIG alone never does: a kubectl set up
 * for production must not put its pods into dust unasked. client-node loads only once it is on and used.
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

export const ConfigSchema = z.strictObject({
  region: z.string().min(1).optional(),
  nodes: z.array(StaticNodeSchema).default([]),
  logins: z.array(LoginRuleSchema).default([]),
  /** Read `Host` entries of an OpenSSH client config as nodes: `true` for ~/.ssh/config or a path. */
  sshConfigHosts: z.union([z.boolean(), z.string()]).default(false),
  /** OpenSSH client config consulted for logins (User, Port, IdentityFile, ProxyJump, ProxyCommand...). `false` to ignore. */
  sshConfig: z.union([z.string(), z.literal(false)]).optional(),
  /** System-wide OpenSSH client config read after `sshConfig` (default /etc/ssh/ssh_config). `false` to skip it. */
  sshSystemConfig: z.union([z.string(), z.literal(false)]).optional(),
  hostKeyChecking: z.enum(['accept-new', 'strict', 'off']).default('accept-new'),
  ssh: z.strictObject({
    connectTimeoutMs: z.number().int().positive().optional(),
    maxConcurrentHandshakes: z.number().int().positive().optional(),
    keepaliveIntervalMs: z.number().int().nonnegative().optional(),
    quietMs: z.number().int().positive().optional(),
  }).default({}),
  ec2: z.strictObject({
    enabled: z.boolean().optional(),
    endpoint: z.string().optional(),
    profile: z.string().optional(),
    clusterTag: z.string().optional(),
  }).default({}),
  kubernetes: KubernetesConfigSchema.optional(),
  /** Defaults for commands that run a line on nodes (`@`, `at`, `gather`); their flags override them. */
  run: z.strictObject({
    /** Seconds after which a node still running the command is interrupted and reported as `timeout`. */
    timeout: z.number().nonnegative().optional(),
    /** Lines of output each node's result keeps (the last ones); a cut is always reported. */
    maxOutputLines: z.number().int().positive().optional(),
    /**
     * `true`: the persistent PTY shell (the default, except with --json); `false`: no-PTY exec mode (one exec
     * channel per command, stdout and stderr apart, no state kept).
     */
    pty: z.boolean().optional(),
    /** At most this many nodes run a command at once (rolling); default all. */
    fanout: z.number().int().positive().optional(),
    /** After more than this many failed nodes (a number, or `10%` of the targeted ones) no further node is started. */
    maxErrors: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+(\.\d+)?%$/, 'a percentage such as 10%')]).optional(),
    /** Write every run's per-node output under this directory (as `--outdir`). */
    outdir: z.string().min(1).optional(),
    /** dust's exit status in scripts: `any` (0 when every line succeeded, else 1) or `max` (the largest remote exit code, as `clush -S`). */
    exitStatus: z.enum(['any', 'max']).optional(),
    /** Scripts (`-c`, stdin) stop at the first line that fails (`dust -e`). */
    stopOnError: z.boolean().optional(),
  }).default({}),
  /**
   * Plugins to load besides the drop-ins: a path or package name, or `{ name, options }` where `options` reach the
   * plugin as `api.options`.
   */
  plugins: z.array(z.union([
    z.string().min(1),
    z.strictObject({ name: z.string().min(1), options: z.record(z.string(), z.unknown()).default({}) }),
  ])).default([]),
  history: z.strictObject({ size: z.number().int().nonnegative().optional() }).default({}),
});

export type DustConfig = z.infer<typeof ConfigSchema>;
export type StaticNodeConfig = z.infer<typeof StaticNodeSchema>;
export type LoginRule = z.infer<typeof LoginRuleSchema>;
export type KubernetesConfig = z.infer<typeof KubernetesConfigSchema>;
