/**
 * The node object every part of dust passes around: inventory providers create it, the target
 * language selects it, sessions connect to it, and plugins receive it.
 */
export type PropertyValue = string | number | boolean | null | undefined;

export interface DustNode {
  /** Stable 1-based index over the whole inventory (not the working set), assigned after sorting. */
  index: number;
  /** Display and target name (`worker3`). Unique within an inventory. */
  name: string;
  /** Provider that produced the node: `static`, `ssh-config`, `ec2`, ... */
  source: string;
  /** Cluster membership from the node definition or the first matching login rule. */
  cluster: string | undefined;
  /** Lifecycle state. Static nodes are `running` (they are assumed reachable until proven otherwise). */
  state: string;
  /** Address dust connects to. */
  host: string;
  port: number;
  user: string | undefined;
  identityFile: string | undefined;
  /** Jump host (`user@host:port`), OpenSSH ProxyJump syntax. */
  proxyJump: string | undefined;
  tags: Readonly<Record<string, string>>;
  /** Annotations plugins set (`drained`, `gpu-bad`); persisted by dust, usable as `annotation=drained`. */
  annotations: Readonly<Record<string, string>>;
  /**
   * Every other property, flattened, keyed in lower case (`launch_time`, `ip`, `type`, `vpc`...).
   * The target language's `key=value` looks here after the fields above.
   */
  props: Readonly<Record<string, PropertyValue>>;
}

/** The node fields that `key=value` may name directly, besides `props`. */
export const CORE_PROPERTIES = [
  'index', 'name', 'source', 'cluster', 'state', 'host', 'port', 'user', 'identityfile', 'proxyjump',
] as const;

/**
 * Looks a property up by case-insensitive key: core fields first, then `props`.
 * Returns undefined when the node does not have it (so the target language can tell "absent" from "empty").
 */
export function nodeProperty(node: DustNode, key: string): PropertyValue {
  const k = key.toLowerCase();
  switch (k) {
    case 'index': return node.index;
    case 'name': return node.name;
    case 'source': return node.source;
    case 'cluster': return node.cluster;
    case 'state': return node.state;
    case 'host': return node.host;
    case 'port': return node.port;
    case 'user': return node.user;
    case 'identityfile': return node.identityFile;
    case 'proxyjump': return node.proxyJump;
    default: return node.props[k];
  }
}

/** Every property key a node answers to (used for completion and "unknown property" hints). */
export function nodePropertyKeys(node: DustNode): string[] {
  return [...CORE_PROPERTIES, 'tags', 'annotation', ...Object.keys(node.props)];
}
