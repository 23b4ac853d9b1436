/**
 * `dust-shell/ec2`: the types of what the EC2 integration provides to other plugins (`ctx.use('ec2')`), for
 * plugins that type-check against an installed dust. Types only: the integration itself is dust's to load.
 */
export type { Ec2Access } from './access.js';
export type { Ec2Sdk } from './sdk.js';
