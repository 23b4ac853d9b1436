import type { DustNode } from './node.js';
import type { NodeDraft } from './provider.js';

/**
 * What makes a node the same node from one inventory build to the next: its provider plus the provider's
 * id for it (`props.id`: the EC2 instance id, so a renamed instance keeps its number), else its name.
 * Providers that have a stable id should put it in `props.id` (docs/plugins.md).
 */
export function nodeIdentity(draft: NodeDraft): string {
  const id = draft.props['id'];
  return `${draft.source}\u0000${typeof id === 'string' && id !== '' ? id : draft.name}`;
}

/**
 * The `#` column: numbers that stay with a node for the life of the dust process. A node seen for the first
 * time gets the next unused number (several new nodes in inventory order); a node that vanishes keeps its
 * number reserved, so `stop -y 5` typed from memory never reaches another machine, and a node that comes
 * back (a region switched back, a provider that recovered) gets its old number again.
 */
export class NodeIndexes {
  private readonly numbers = new Map<string, number>();
  private next = 1;

  /** Numbers `drafts` (already in display order) without changing their order. */
  assign(drafts: readonly NodeDraft[]): DustNode[] {
    const taken = new Set<string>();
    return drafts.map((draft) => {
      let key = nodeIdentity(draft);
      // Two nodes claiming one id (a static config repeating props.id) must still get two numbers.
      if (taken.has(key)) key = `${key}\u0000${draft.name}`;
      taken.add(key);
      let index = this.numbers.get(key);
      if (index === undefined) {
        index = this.next++;
        this.numbers.set(key, index);
      }
      return { ...draft, index };
    });
  }
}
