/** The embedded demo cluster: SSH nodes inside the dust process, for `npm start` on a machine with nothing. */
export { startDemoCluster } from './cluster.js';
export type { DemoCluster, DemoNode, DemoNodeSpec, StartDemoClusterOptions } from './cluster.js';
export { DEFAULT_DEMO_BASE_PORT } from './addresses.js';
