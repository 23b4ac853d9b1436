import type { DustNode } from './node.js';

/** A node before the inventory has sorted and indexed it. */
export type NodeDraft = Omit<DustNode, 'index'>;

/**
 * Where nodes come from: static config, an OpenSSH client config, EC2 (src/ec2), Kubernetes pods
 * (src/kubernetes), or a plugin. The inventory asks every provider, applies login rules, then sorts and
 * indexes the union.
 */
export interface InventoryProvider {
  /** Shown in `show -v` (`source`) and in error messages. */
  readonly name: string;
  list(): Promise<NodeDraft[]>;
  /**
   * Providers that learn about changes by themselves (a Kubernetes watch) call `changed` whenever their node
   * list changed, so the inventory drops its cache; returns the unsubscribe function. Optional.
   */
  subscribe?(changed: () => void): () => void;
  /** Releases what the provider holds (watches, clients). Optional. */
  close?(): Promise<void>;
}
