/**
 * The EC2 emulator: an in-repo stand-in for the EC2 Query API that the real `@aws-sdk/client-ec2`
 * talks to, in process (`Ec2InProcessHandler`) or over loopback HTTP (`startEc2EmulatorServer`).
 * Used by `dust emulator`, the demo cluster and the tests.
 */
export {
  Ec2EmulatorCore,
  type Ec2EmulatorOptions,
  type Ec2EmulatorRequest,
  type Ec2EmulatorResponse,
  type Ec2RequestLogEntry,
  type InstanceSnapshot,
  type InstanceStateChange,
  type InstanceStateListener,
  type SeedInstance,
  type SpotPriceChange,
} from './core.js';
export { formatPrice, onDemandPrice } from './spot-prices.js';
export { type Ec2Clock, ManualClock, systemClock } from './clock.js';
export { DEFAULT_DELAYS, type LifecycleDelays } from './lifecycle.js';
export {
  AddressPool,
  type AddressPoolOptions,
  type AddressSource,
  defaultVpcPrivatePool,
  documentationRangePool,
  loopbackPublicPool,
} from './addresses.js';
export { type FaultHandle, FaultInjector, type FaultSpec } from './faults.js';
export { Ec2ApiError, Ec2Errors, statusForCode } from './errors.js';
export { compileWildcard, type QuestionMarkMode } from './filters.js';
export { QueryParams, type QueryFilter, type QueryTag } from './query.js';
export { EC2_XMLNS, escapeXml, renderEc2Document, renderEc2ErrorDocument, type XmlObject, type XmlValue } from './xml.js';
export { ACTION_HANDLERS, SUPPORTED_ACTIONS } from './actions/index.js';
export { PIN_PRIVATE_IP_TAG, PIN_PUBLIC_IP_TAG } from './actions/launch.js';
export { DEFAULT_REGIONS, DEFAULT_IMAGES, type ImageSpec } from './catalog-data.js';
export { STATE_CODES, type InstanceStateName } from './model.js';
export { type KeyPairType } from './keygen.js';
export {
  createEc2RequestHandler,
  Ec2InProcessHandler,
  type SdkHttpRequestLike,
  type SdkHttpResponseLike,
} from './in-process.js';
export {
  type Ec2EmulatorServer,
  type Ec2EmulatorServerOptions,
  isLoopbackHost,
  startEc2EmulatorServer,
} from './http-server.js';
export { regionFromAuthorization } from './sigv4.js';
