import type { DustNode } from '../inventory/node.js';

/** Every node with an address, unless it names another transport (`transport` property): the nodes SSH serves. */
export function sshClaims(node: DustNode): boolean {
  const wanted = node.props['transport'];
  return node.host !== '' && (wanted === undefined || wanted === 'ssh');
}
