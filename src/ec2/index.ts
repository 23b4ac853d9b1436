/**
 * dust's EC2 integration over `@aws-sdk/client-ec2`. Nothing exported here loads the SDK: it is
 * loaded by the first call that talks to EC2 (see sdk.ts).
 */
export { resolveAwsSettings, readProfileRegion, awsConfigFile, awsCredentialsFile, DEFAULT_CLUSTER_TAG, type AwsSettings, type AwsSettingsInput, type SettingSource } from './aws-settings.js';
export { Ec2ClientFactory, sendEc2, DEFAULT_MAX_ATTEMPTS, type Ec2ClientFactoryOptions, type StaticCredentials } from './client.js';
export { translateEc2Error, CREDENTIALS_HINT } from './errors.js';
export { Ec2InventoryProvider, listAllInstances, listInstances, type Ec2InventoryProviderOptions, type ListInstancesOptions } from './inventory-provider.js';
export { instanceToDraft, flattenInstance, snakeCase } from './instance-node.js';
export { Ec2Cloud, createEc2Integration, type Ec2Integration } from './cloud-hooks.js';
export { createEc2Plugin, type Ec2PluginOptions } from './plugin.js';
export { ec2SdkLoaded } from './sdk.js';
export { DEMO_FLEET, DEMO_REGION, DEMO_TAG, seedDemoFleet } from './demo-fleet.js';
