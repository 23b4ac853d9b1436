import type { DustNode } from '../inventory/node.js';

/** Whether a node is an EC2 instance dust can act on (listed by the EC2 provider, with an id). */
export function isEc2Node(node: DustNode): boolean {
  return node.source === 'ec2' && typeof node.props['id'] === 'string' && node.props['id'].startsWith('i-');
}

/** The node's instance id (only for `isEc2Node` nodes). */
export function instanceIdOf(node: DustNode): string {
  return String(node.props['id']);
}

/** Targeted nodes split into EC2 instances and the rest (static nodes, other providers). */
export function splitEc2Nodes(nodes: readonly DustNode[]): { ec2: DustNode[]; other: DustNode[] } {
  return { ec2: nodes.filter(isEc2Node), other: nodes.filter((n) => !isEc2Node(n)) };
}
