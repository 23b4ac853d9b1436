import { z } from 'zod';

/**
 * The cluster spec: what `cluster up` builds. One YAML file per cluster, validated by these schemas.
 * Every key carries its description (and examples) here, once: the JSON Schema for editors
 * (docs/cluster-spec.schema.json) and the commented file `cluster init` writes are both generated
 * from them, so neither can drift from what the loader accepts.
 */

/** Cluster names as the EC2 `cluster` command takes them (they end up in tags, group and key names). */
import { CLUSTER_NAME } from './names.js';

export { CLUSTER_NAME };
/** Kubernetes object names: an RFC 1123 label. */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;
const AMI_ID = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const LOGIN_USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
const CIDR_V4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\/(?:3[0-2]|[12]?\d)$/;
const PRICE = /^(?:\d+(?:\.\d+)?|\.\d+)$/;

/** The most running instances a spread placement group holds in one availability zone (EC2's limit). */
export const SPREAD_LIMIT_PER_ZONE = 7;
export const MAX_WORKERS = 99;

const instanceType = (what: string) =>
  z.string().regex(INSTANCE_TYPE, { error: 'expected an EC2 instance type such as t3.micro or m6i.large' })
    .meta({ description: `EC2 instance type of ${what}.` });

const commandList = (description: string, example: string) =>
  z.array(z.string().min(1, { error: 'expected a command, got an empty string' })).default([]).meta({ description, examples: [[example]] });

/** Keys every provider shares. */
const common = {
  name: z.string()
    .regex(CLUSTER_NAME, { error: 'expected letters, digits, . _ - (up to 64, starting with a letter or digit)' })
    .meta({
      description: 'Cluster name. Every resource dust creates carries it in the cluster tag, so `cluster list`, `show cluster=NAME` and `@NAME cmd` find the nodes.',
      examples: ['spark1'],
    }),
  dependencies: z.strictObject({
    packages: z.array(z.string().min(1)).default([])
      .meta({ description: 'Packages installed with the node\'s package manager (dnf, yum, apt-get, zypper or apk; through sudo -n when the login is not root) on every node before the setup commands.', examples: [['git', 'htop']] }),
    pip: z.array(z.string().min(1)).default([])
      .meta({ description: 'Python packages installed with pip on every node (pip3, pip or python3 -m pip; --user when not root outside a virtualenv), after the system packages.', examples: [['daft[ray]==0.4.*']] }),
  }).default({ packages: [], pip: [] })
    .meta({ description: 'What to install on every node once it is reachable.' }),
  setup: z.strictObject({
    all: commandList('Shell commands run on every node (head included), in order, after the dependencies, each in its own subshell with no input. A failing command stops the setup of that node.', 'sudo mkdir -p /data'),
    head: commandList('Shell commands run on the head only, after the commands for all nodes (start services, a scheduler, …).', 'ray start --head --dashboard-host 0.0.0.0'),
  }).default({ all: [], head: [] })
    .meta({ description: 'Commands that make the nodes ready, run over SSH by `cluster up` once the dependencies are in.' }),
  dashboard: z.strictObject({
    port: z.int().min(1).max(65535).meta({ description: 'TCP port of the dashboard on the head; `cluster dashboard` forwards it over SSH.', examples: [8265] }),
  }).optional()
    .meta({ description: 'A web dashboard served on the head (reached through an SSH tunnel, never opened to the internet).' }),
};

const workerCount = z.int().min(0).max(MAX_WORKERS).default(2)
  .meta({ description: `Number of worker nodes (0 to ${MAX_WORKERS}); the head is extra.` });

export const Ec2ClusterSpecSchema = z.strictObject({
  name: common.name,
  provider: z.literal('ec2').default('ec2').meta({ description: 'Where the cluster runs: ec2 (instances in an AWS region) or k8s (pods in a Kubernetes namespace).' }),
  region: z.string().regex(REGION, { error: 'expected an AWS region such as us-east-1' }).optional()
    .meta({ description: "AWS region. Default: dust's current region (--region, AWS_REGION, the profile's region).", examples: ['us-east-1'] }),
  head: z.strictObject({ type: instanceType('the head node').default('t3.micro') }).default({ type: 't3.micro' })
    .meta({ description: 'The head node: runs the setup commands for the head, the dashboard and submitted jobs.' }),
  workers: z.strictObject({ count: workerCount, type: instanceType('each worker').default('t3.micro') }).default({ count: 2, type: 't3.micro' })
    .meta({ description: 'The worker nodes, named worker0, worker1, …' }),
  image: z.string().regex(AMI_ID, { error: 'expected an AMI id such as ami-0123456789abcdef0' }).optional()
    .meta({ description: 'AMI every node boots. Default: the newest Amazon Linux 2023 image for the instance types\' architecture (x86_64 or arm64).', examples: ['ami-0123456789abcdef0'] }),
  user: z.string().regex(LOGIN_USER, { error: 'expected a login name such as ec2-user or ubuntu' }).default('ec2-user')
    .meta({ description: 'SSH login user of the image (ec2-user for Amazon Linux, ubuntu for Ubuntu, admin for Debian).' }),
  key: z.string().min(1).default('~/.ssh/id_ed25519.pub')
    .meta({ description: 'Local OpenSSH public key (ed25519 or rsa) imported as the EC2 key pair dust-NAME; its private half logs in.' }),
  spot: z.strictObject({
    enabled: z.boolean().default(false).meta({ description: 'Launch spot instances (cheaper; EC2 may take them back at any time). The head is spot too.' }),
    maxPrice: z.union([
      z.number().positive({ error: 'expected a price in USD per hour greater than 0' }),
      z.string().regex(PRICE, { error: 'expected a price in USD per hour such as 0.05' }),
    ]).transform(String).optional()
      .meta({ description: 'Most you pay per instance-hour, in USD. Default: the on-demand price. Below the current spot price nothing launches.', examples: ['0.05'] }),
  }).default({ enabled: false })
    .meta({ description: 'Spot capacity. Interrupted spot nodes show up in `cluster status`; `cluster up` again replaces them.' }),
  placement: z.enum(['none', 'cluster', 'spread']).default('none')
    .meta({ description: `Placement group: cluster (low-latency network, one zone, no burstable T types) or spread (each node on separate hardware, at most ${SPREAD_LIMIT_PER_ZONE} nodes).` }),
  subnet: z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { error: 'expected a subnet id such as subnet-0123456789abcdef0' }).optional()
    .meta({ description: 'Subnet for every node (and so its availability zone and VPC). Default: EC2 picks a default subnet for the head; the workers follow it.', examples: ['subnet-0123456789abcdef0'] }),
  ingress: z.strictObject({
    ssh: z.array(z.string().regex(CIDR_V4, { error: 'expected an IPv4 CIDR such as 203.0.113.7/32' })).min(1).default(['0.0.0.0/0'])
      .meta({ description: 'Addresses allowed to SSH (port 22) to the nodes. Narrow it to your own address, e.g. 203.0.113.7/32.' }),
    ports: z.array(z.strictObject({
      port: z.int().min(1).max(65535).meta({ description: 'First TCP port.' }),
      to: z.int().min(1).max(65535).optional().meta({ description: 'Last TCP port of a range (default: port).' }),
      cidr: z.string().regex(CIDR_V4, { error: 'expected an IPv4 CIDR such as 203.0.113.7/32' }).meta({ description: 'Who may connect.' }),
    })).default([])
      .meta({ description: 'More TCP ports opened to the outside. Traffic between the cluster\'s own nodes is always allowed.', examples: [[{ port: 8080, cidr: '203.0.113.7/32' }]] }),
  }).default({ ssh: ['0.0.0.0/0'], ports: [] })
    .meta({ description: 'Security group dust-NAME: all traffic within the cluster, plus what is listed here from outside.' }),
  dependencies: common.dependencies,
  setup: common.setup,
  dashboard: common.dashboard,
}).superRefine((spec, ctx) => {
  if (spec.placement === 'cluster') {
    for (const [role, type] of [['head', spec.head.type], ['workers', spec.workers.type]] as const) {
      if (/^t\d/.test(type)) {
        ctx.addIssue({ code: 'custom', path: [role, 'type'], message: `a cluster placement group does not take burstable instance types (${type}); pick e.g. c6i.large, or placement: none` });
      }
    }
  }
  if (spec.placement === 'spread' && spec.workers.count + 1 > SPREAD_LIMIT_PER_ZONE) {
    ctx.addIssue({
      code: 'custom', path: ['workers', 'count'],
      message: `a spread placement group holds at most ${SPREAD_LIMIT_PER_ZONE} running nodes in a zone, and this cluster has ${spec.workers.count + 1}; use at most ${SPREAD_LIMIT_PER_ZONE - 1} workers or placement: none`,
    });
  }
  if (spec.spot.maxPrice !== undefined && !spec.spot.enabled) {
    ctx.addIssue({ code: 'custom', path: ['spot', 'maxPrice'], message: 'a max price needs spot.enabled: true (or drop maxPrice)' });
  }
  for (const [i, p] of spec.ingress.ports.entries()) {
    if (p.to !== undefined && p.to < p.port) ctx.addIssue({ code: 'custom', path: ['ingress', 'ports', i, 'to'], message: `the last port (${p.to}) is below the first (${p.port})` });
  }
});

export const K8sClusterSpecSchema = z.strictObject({
  name: common.name,
  provider: z.literal('k8s').meta({ description: 'Where the cluster runs: ec2 (instances in an AWS region) or k8s (pods in a Kubernetes namespace).' }),
  image: z.string().min(1).meta({ description: 'Container image of every pod (head and workers).', examples: ['rayproject/ray:2.40.0-py312'] }),
  namespace: z.string().regex(DNS_LABEL, { error: 'expected a Kubernetes namespace name (lowercase letters, digits, -)' }).default('default')
    .meta({ description: 'Kubernetes namespace the pods are created in.' }),
  context: z.string().min(1).optional()
    .meta({ description: 'kubeconfig context to use. Default: the current context.', examples: ['kind-dev'] }),
  podSpec: z.string().min(1).optional()
    .meta({ description: 'YAML file with a pod spec merged into every pod (resources, volumes, node selectors, tolerations). Relative to the spec file.', examples: ['pod.yaml'] }),
  workers: z.strictObject({ count: workerCount }).default({ count: 2 })
    .meta({ description: 'The worker pods.' }),
  dependencies: common.dependencies,
  setup: common.setup,
  dashboard: common.dashboard,
}).superRefine((spec, ctx) => {
  if (!DNS_LABEL.test(spec.name)) {
    ctx.addIssue({ code: 'custom', path: ['name'], message: `a Kubernetes cluster name must be lowercase letters, digits and - (it names pods), got '${spec.name}'` });
  }
});

/** Any cluster spec; `provider` picks the variant (default ec2). */
export const ClusterSpecSchema = z.discriminatedUnion('provider', [Ec2ClusterSpecSchema, K8sClusterSpecSchema])
  .meta({ title: 'dust cluster spec', description: 'A cluster `cluster up` provisions: nodes, access, software and setup.' });

export type Ec2ClusterSpec = z.output<typeof Ec2ClusterSpecSchema>;
export type K8sClusterSpec = z.output<typeof K8sClusterSpecSchema>;
export type ClusterSpec = z.output<typeof ClusterSpecSchema>;
export type ClusterProviderName = ClusterSpec['provider'];
export const CLUSTER_PROVIDERS: readonly ClusterProviderName[] = ['ec2', 'k8s'];

/** The schema of one provider's spec. */
export function specSchemaFor(provider: ClusterProviderName): typeof Ec2ClusterSpecSchema | typeof K8sClusterSpecSchema {
  return provider === 'k8s' ? K8sClusterSpecSchema : Ec2ClusterSpecSchema;
}
