/**
 * Stable error codes. A code is never reassigned or reused once released, even if its error is removed
 * (the Yarn rule). docs/errors.md lists each with its meaning and fix.
 */
export const ErrorCodes = {
  /** A target expression could not be parsed. */
  TargetSyntax: 'DUST_TARGET_SYNTAX',
  /** A target expression names a property no node has. */
  TargetUnknownProperty: 'DUST_TARGET_UNKNOWN_PROPERTY',
  /** A target matched no node. */
  TargetNoMatch: 'DUST_TARGET_NO_MATCH',
  /** The config file is invalid (file, key path and expectation in the message). */
  ConfigInvalid: 'DUST_CONFIG_INVALID',
  /** The config file could not be read or parsed. */
  ConfigUnreadable: 'DUST_CONFIG_UNREADABLE',
  /** A command was used with wrong arguments. */
  Usage: 'DUST_USAGE',
  /** No such command (and the local-shell fallback was not applicable). */
  UnknownCommand: 'DUST_UNKNOWN_COMMAND',
  /** A command threw an unexpected error. */
  CommandFailed: 'DUST_COMMAND_FAILED',
  /** `use` named no known cluster or region. */
  UnknownContext: 'DUST_UNKNOWN_CONTEXT',
  /** SSH: TCP connect failed or timed out. */
  SshConnect: 'DUST_SSH_CONNECT',
  /** SSH: authentication rejected. */
  SshAuth: 'DUST_SSH_AUTH',
  /** SSH: the host key does not match the recorded one. */
  SshHostKeyChanged: 'DUST_SSH_HOSTKEY_CHANGED',
  /** SSH: unknown host key and host key checking is strict. */
  SshHostKeyUnknown: 'DUST_SSH_HOSTKEY_UNKNOWN',
  /** SSH: the host presented a key marked @revoked in known_hosts. */ SshHostKeyRevoked: 'DUST_SSH_HOSTKEY_REVOKED',
  /** SSH: the connection was lost. */
  SshLost: 'DUST_SSH_LOST',
  /** SSH: the private key could not be read or decrypted. */
  SshKey: 'DUST_SSH_KEY',
  /** SSH: a channel could not be opened (MaxSessions). */
  SshChannel: 'DUST_SSH_CHANNEL',
  /** Raw shell: needs exactly one node. */
  RawShellTarget: 'DUST_RAW_SHELL_TARGET',
  /** EC2: no credentials found. */
  Ec2Credentials: 'DUST_EC2_CREDENTIALS',
  /** EC2: the API refused the action. */
  Ec2Unauthorized: 'DUST_EC2_UNAUTHORIZED',
  /** EC2: throttled after retries. */
  Ec2Throttled: 'DUST_EC2_THROTTLED',
  /** EC2: any other API error. */
  Ec2Api: 'DUST_EC2_API',
  /** A plugin failed to load. */
  PluginLoadFailed: 'DUST_PLUGIN_LOAD_FAILED',
  /** A plugin module has the wrong shape. */
  PluginInvalid: 'DUST_PLUGIN_INVALID',
  /** A plugin targets an incompatible API or dust version. */
  PluginApiMismatch: 'DUST_PLUGIN_API_MISMATCH',
  /** Two plugins registered the same command name. */
  PluginNameClash: 'DUST_PLUGIN_NAME_CLASH',
  /** An error thrown inside a plugin's command or handler. */
  PluginError: 'DUST_PLUGIN_ERROR',
  /** A local shell command failed to start. */
  LocalShell: 'DUST_LOCAL_SHELL',
  /** The built-in demo cluster could not start (a node could not listen, its files could not be written, or node-pty is not installed). */ DemoFailed: 'DUST_DEMO_FAILED',
  /** Session: the remote shell did not start or did not answer dust's start-up line in time. */
  ShellStart: 'DUST_SHELL_START',
  /** Session: the node's shell exited (`exit`, `set -e`, the shell was killed); the next command starts a new one. */
  ShellExited: 'DUST_SHELL_EXITED',
  /** Session: no transport claims the node (no SSH address, no plugin transport for its kind). */
  NoTransport: 'DUST_NO_TRANSPORT',
  /** Session: the node's session is in use (a raw shell is attached, or another client holds it). */
  SessionBusy: 'DUST_SESSION_BUSY',
  /** Session: a program that ignored Ctrl-C still owns the node's terminal. */
  StillRunning: 'DUST_STILL_RUNNING',
  /** Session: the node is waiting for input and the command cannot answer it (script mode, no terminal). */
  WaitingForInput: 'DUST_WAITING_FOR_INPUT',
  /** Session: the command ran past its `--timeout` and was interrupted. */
  Timeout: 'DUST_TIMEOUT',
  /** A cluster spec file could not be read or is not valid YAML (file, line and reason in the message). */
  ClusterSpecUnreadable: 'DUST_CLUSTER_SPEC_UNREADABLE',
  /** A cluster spec is invalid (file, key path and what was expected in the message). */
  ClusterSpecInvalid: 'DUST_CLUSTER_SPEC_INVALID',
  /** A cluster's state file under $DUST_HOME/clusters could not be read, parsed or written. */
  ClusterState: 'DUST_CLUSTER_STATE',
  /** The public key a cluster spec names could not be read, or is not an rsa or ed25519 OpenSSH key. */
  ClusterKey: 'DUST_CLUSTER_KEY',
  /** A name dust would give a cluster resource is taken by something dust did not create, or belongs to another cluster. */
  ClusterConflict: 'DUST_CLUSTER_CONFLICT',
  /** Provisioning stopped at a step (the step and what was already created are in the message; `cluster down` cleans up). */
  ClusterProvision: 'DUST_CLUSTER_PROVISION',
  /** The cluster's head did not reach running (terminated, stopped, or the wait timed out). */
  ClusterNotReady: 'DUST_CLUSTER_NOT_READY',
  /** `cluster down` could not remove everything (what is left is in the message and the state file). */
  ClusterTeardown: 'DUST_CLUSTER_TEARDOWN',
  /** SSH: the ProxyCommand could not start or exited before the connection ended (its last stderr line says why). */
  SshProxyCommand: 'DUST_SSH_PROXY_COMMAND',
  /**
   * A file dust keeps under $DUST_HOME (a plugin store, annotations, logins.yaml, history) could not be
   * updated: another process holds its lock, or the file is corrupt and dust refused to overwrite it.
   */
  StateWrite: 'DUST_STATE_WRITE',
  /** $DUST_HOME is not a usable directory (a file is in the way, or it cannot be created). */
  HomeUnusable: 'DUST_HOME_UNUSABLE',
  /** A host-list file (`file:PATH` target) could not be read, or a line of it is invalid (file and line in the message). */
  HostFile: 'DUST_HOST_FILE',
  /** Kubernetes: no usable kubeconfig, or the context/namespace named does not exist in it. */
  KubeConfig: 'DUST_KUBE_CONFIG',
  /** Kubernetes: the API server could not be reached (connection refused, TLS verification failed, timeout). */
  KubeConnect: 'DUST_KUBE_CONNECT',
  /** Kubernetes: the API server refused the credentials (401) or the role lacks a permission (403). */
  KubeUnauthorized: 'DUST_KUBE_UNAUTHORIZED',
  /** Kubernetes: any other API error (the server's status message is in the line). */
  KubeApi: 'DUST_KUBE_API',
  /** Kubernetes: the pod no longer exists (it was deleted or replaced). */
  KubePodGone: 'DUST_KUBE_POD_GONE',
  /** Kubernetes: the pod is not running (Pending, being deleted, or completed), so nothing can run in it. */
  KubePodNotRunning: 'DUST_KUBE_POD_NOT_RUNNING',
  /** Kubernetes: the container has no /bin/sh (a distroless or scratch image), so dust cannot open a shell in it. */
  KubeNoShell: 'DUST_KUBE_NO_SHELL',
  /** Kubernetes: an exec stream could not be opened or broke (upgrade refused, protocol not supported). */
  KubeExec: 'DUST_KUBE_EXEC',
  /** Kubernetes: a file operation in a pod failed (the path and the container's error are in the line). */
  KubeFile: 'DUST_KUBE_FILE',
  /** Kubernetes: worker pods could not be created, or none came up in time. */
  KubeWorkers: 'DUST_KUBE_WORKERS',
  /** A plugin ended its command with `ctx.fail(message, { hint })` and no code of its own. */
  PluginFailed: 'DUST_PLUGIN_FAILED',
  /**
   * `cluster submit`: the directory could not be archived, or the archive could not be copied to the head or
   * unpacked there (the step and the head's own message are in the line).
   */
  ClusterSubmit: 'DUST_CLUSTER_SUBMIT',
  /** Cluster setup: a node's dependencies or setup commands failed (node, step and exit status in the line), or the head never answered. */
  ClusterSetup: 'DUST_CLUSTER_SETUP',
  /** A local port dust was asked to listen on (a dashboard's `--local`) is in use or not allowed. */
  LocalPortInUse: 'DUST_LOCAL_PORT_IN_USE',
  /** Port forwarding is not available for this node's transport (pods, for now). */
  ForwardUnsupported: 'DUST_FORWARD_UNSUPPORTED',
  /** `cluster`: no cluster by that name (no record on this machine, and no provider sees one). */
  ClusterNotFound: 'DUST_CLUSTER_NOT_FOUND',
  /** `cluster`: no integration serves the spec's `provider:` (or it is off: no region, no kubeconfig), or two do and the name is ambiguous. */
  ClusterProvider: 'DUST_CLUSTER_PROVIDER',
  /**
   * Fan-out: the command was never sent to this node, because more than `--max-errors` nodes had already failed,
   * or Ctrl-C came before its turn under `--fanout`. The node reports status `skipped` (`@last=skipped` picks them).
   */
  Skipped: 'DUST_SKIPPED',
  /** No-PTY mode: the node's transport cannot run a command without a terminal, and local stdin can only go that way. */
  NoExec: 'DUST_NO_EXEC',
  /** `--outdir`: the directory or a node's output file could not be created or written (path and reason in the message). */
  OutputDir: 'DUST_OUTPUT_DIR',
  /**
   * Kubernetes is off in this session (no `kubernetes:` section in the config and no `--kube-context`,
   * `--kubeconfig` or `--namespace`), so a Kubernetes command has nothing to work on.
   */
  KubeNotEnabled: 'DUST_KUBE_NOT_ENABLED',
} as const;

export type DustErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
