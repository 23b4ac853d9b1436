/** The `kubernetes:` config section lives with the rest of the config schema; re-exported for the Kubernetes code. */
export { KubernetesConfigSchema, type KubernetesConfig } from '../config/schema.js';
