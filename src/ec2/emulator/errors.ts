/**
 * EC2 API errors as the emulator raises them. The SDK has no modelled EC2 exceptions: it builds an
 * `EC2ServiceException` whose `name` is the `<Code>` of the error document, and `$fault` from the
 * HTTP status (4xx client, 5xx server), so code, message and status are all that matter here.
 */
export class Ec2ApiError extends Error {
  override readonly name = 'Ec2ApiError';

  constructor(
    /** EC2 error code, e.g. `InvalidInstanceID.NotFound`. */
    readonly code: string,
    message: string,
    /** HTTP status; EC2 uses 400 for almost everything client-side. */
    readonly status: number = 400,
  ) {
    super(message);
  }
}

/** HTTP statuses EC2 uses for codes that are not plain 400s. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  AuthFailure: 401,
  UnauthorizedOperation: 403,
  Blocked: 403,
  DryRunOperation: 412,
  InternalError: 500,
  InsufficientInstanceCapacity: 500,
  RequestLimitExceeded: 503,
  ServiceUnavailable: 503,
  Unavailable: 503,
};

/** The status EC2 answers a code with (400 when it is not one of the special ones). */
export function statusForCode(code: string): number {
  return STATUS_BY_CODE[code] ?? 400;
}

/** Default messages for codes a fault may inject without saying what the message is. */
const DEFAULT_MESSAGES: Readonly<Record<string, string>> = {
  RequestLimitExceeded: 'Request limit exceeded.',
  InternalError: 'An internal error has occurred',
  ServiceUnavailable: 'The service is unavailable. Please try again shortly.',
  Unavailable: 'The server is overloaded and cannot handle the request.',
  InsufficientInstanceCapacity: 'We currently do not have sufficient capacity in the Availability Zone you requested.',
  AuthFailure: 'AWS was not able to validate the provided access credentials',
};

/** An error for `code` with EC2's usual message and status (used by fault injection). */
export function errorForCode(code: string, message?: string, status?: number): Ec2ApiError {
  return new Ec2ApiError(code, message ?? DEFAULT_MESSAGES[code] ?? `Injected ${code}`, status ?? statusForCode(code));
}

const quoteList = (ids: readonly string[]): string => ids.join(', ');

/** Constructors for the errors the handlers raise, with EC2's wording. */
export const Ec2Errors = {
  invalidAction: (action: string) =>
    new Ec2ApiError('InvalidAction', `The action ${action} is not valid for this web service.`),
  missingAction: () => new Ec2ApiError('MissingAction', 'The request must contain the parameter Action'),
  missingParameter: (name: string) =>
    new Ec2ApiError('MissingParameter', `The request must contain the parameter ${name}`),
  invalidParameterValue: (message: string) => new Ec2ApiError('InvalidParameterValue', message),
  invalidParameterCombination: (message: string) => new Ec2ApiError('InvalidParameterCombination', message),
  invalidFilter: (name: string) => new Ec2ApiError('InvalidParameterValue', `The filter '${name}' is invalid`),
  invalidNextToken: () => new Ec2ApiError('InvalidParameterValue', 'Unable to parse pagination token'),
  maxResultsOutOfRange: (value: number, min: number, max: number) =>
    new Ec2ApiError(
      'InvalidParameterValue',
      `Value ( ${value} ) for parameter maxResults is invalid. Expecting a value between ${min} and ${max}.`,
    ),
  dryRun: () => new Ec2ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412),
  throttled: () => errorForCode('RequestLimitExceeded'),

  instanceIdMalformed: (id: string) =>
    new Ec2ApiError('InvalidInstanceID.Malformed', `Invalid id: "${id}" (expecting "i-...")`),
  instanceIdNotFound: (ids: readonly string[]) =>
    new Ec2ApiError(
      'InvalidInstanceID.NotFound',
      ids.length === 1
        ? `The instance ID '${ids[0]}' does not exist`
        : `The instance IDs '${quoteList(ids)}' do not exist`,
    ),
  incorrectInstanceState: (id: string, verb: string) =>
    new Ec2ApiError(
      'IncorrectInstanceState',
      `The instance '${id}' is not in a state from which it can be ${verb}.`,
    ),
  tagLimitExceeded: (resourceId: string) =>
    new Ec2ApiError('TagLimitExceeded', `The maximum number of Tags for a resource has been reached (resource ${resourceId}).`),
  invalidId: (id: string) => new Ec2ApiError('InvalidID', `The ID '${id}' is not valid`),

  amiMalformed: (id: string) => new Ec2ApiError('InvalidAMIID.Malformed', `Invalid id: "${id}" (expecting "ami-...")`),
  amiNotFound: (ids: readonly string[]) =>
    new Ec2ApiError('InvalidAMIID.NotFound', `The image id '[${quoteList(ids)}]' does not exist`),

  keyPairNotFound: (name: string) => new Ec2ApiError('InvalidKeyPair.NotFound', `The key pair '${name}' does not exist`),
  keyPairDuplicate: (name: string) => new Ec2ApiError('InvalidKeyPair.Duplicate', `The keypair '${name}' already exists.`),
  keyFormat: () => new Ec2ApiError('InvalidKey.Format', 'Key is not in valid OpenSSH public key format'),

  groupNotFound: (idOrName: string) =>
    new Ec2ApiError('InvalidGroup.NotFound', `The security group '${idOrName}' does not exist`),
  groupIdMalformed: (id: string) => new Ec2ApiError('InvalidGroupId.Malformed', `Invalid id: "${id}" (expecting "sg-...")`),
  groupDuplicate: (name: string, vpcId: string) =>
    new Ec2ApiError('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpcId}'`),
  permissionDuplicate: (rule: string) =>
    new Ec2ApiError('InvalidPermission.Duplicate', `the specified rule "${rule}" already exists`),
  permissionNotFound: () =>
    new Ec2ApiError(
      'InvalidPermission.NotFound',
      'The specified rule does not exist in this security group.',
    ),
  ruleIdNotFound: (id: string) =>
    new Ec2ApiError('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`),
  groupInUse: (id: string) =>
    new Ec2ApiError('DependencyViolation', `resource ${id} has a dependent object`),
  cannotDeleteDefaultGroup: () =>
    new Ec2ApiError('CannotDelete', 'the specified group: "default" name cannot be deleted by a user'),

  placementGroupUnknown: (nameOrId: string) =>
    new Ec2ApiError('InvalidPlacementGroup.Unknown', `The Placement Group '${nameOrId}' is unknown.`),
  placementGroupIdMalformed: (id: string) =>
    new Ec2ApiError('InvalidPlacementGroupId.Malformed', `Invalid id: "${id}" (expecting "pg-...")`),
  placementGroupDuplicate: (name: string) =>
    new Ec2ApiError('InvalidPlacementGroup.Duplicate', `The Placement Group '${name}' already exists.`),
  placementGroupInUse: (name: string) =>
    new Ec2ApiError('InvalidPlacementGroup.InUse', `The placement group '${name}' is in use and may not be deleted.`),
  placementGroupInOtherZone: (name: string, zone: string) =>
    new Ec2ApiError('InvalidPlacementGroup.InUse', `The placement group '${name}' is in use in another availability zone: ${zone}`),

  idempotentParameterMismatch: () =>
    new Ec2ApiError(
      'IdempotentParameterMismatch',
      'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).',
    ),

  spotMaxPriceTooLow: (maxPrice: string, price: string) =>
    new Ec2ApiError(
      'SpotMaxPriceTooLow',
      `Your Spot request price of ${maxPrice} is lower than the minimum required Spot request fulfillment price of ${price}.`,
    ),
  spotRequestIdMalformed: (id: string) =>
    new Ec2ApiError('InvalidSpotInstanceRequestID.Malformed', `Invalid id: "${id}" (expecting "sir-...")`),
  spotRequestNotFound: (id: string) =>
    new Ec2ApiError('InvalidSpotInstanceRequestID.NotFound', `The spot instance request ID '${id}' does not exist`),
  cannotStopOneTimeSpot: (id: string) =>
    new Ec2ApiError(
      'UnsupportedOperation',
      `You can't stop the Spot Instance '${id}' because it is associated with a one-time Spot Instance request. ` +
        'You can only stop Spot Instances associated with persistent Spot Instance requests.',
    ),

  vpcNotFound: (id: string) => new Ec2ApiError('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`),
  subnetNotFound: (id: string) => new Ec2ApiError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`),
  addressInUse: (ip: string) => new Ec2ApiError('InvalidIPAddress.InUse', `Address ${ip} is in use.`),
  noFreeAddresses: () =>
    new Ec2ApiError(
      'InsufficientFreeAddressesInSubnet',
      'There are not enough free addresses in subnet to satisfy the requested number of instances.',
    ),
} as const;
