import { describeAvailabilityZones, describeImages, describeRegions, describeSubnets } from './catalog.js';
import type { ActionHandler } from './context.js';
import {
  describeInstances, rebootInstances, runInstances, startInstances, stopInstances, terminateInstances,
} from './instances.js';
import { createKeyPair, deleteKeyPair, describeKeyPairs, importKeyPair } from './key-pairs.js';
import {
  authorizeSecurityGroupIngress, createSecurityGroup, deleteSecurityGroup, describeSecurityGroups, revokeSecurityGroupIngress,
} from './security-groups.js';
import { createPlacementGroup, deletePlacementGroup, describePlacementGroups } from './placement-groups.js';
import { cancelSpotInstanceRequests, describeSpotInstanceRequests, describeSpotPriceHistory } from './spot.js';
import { createTags, deleteTags, describeTags } from './tags.js';

/** Every EC2 action the emulator answers; anything else is `InvalidAction`. */
export const ACTION_HANDLERS: Readonly<Record<string, ActionHandler>> = {
  DescribeInstances: describeInstances,
  RunInstances: runInstances,
  StartInstances: startInstances,
  StopInstances: stopInstances,
  RebootInstances: rebootInstances,
  TerminateInstances: terminateInstances,
  CreateTags: createTags,
  DeleteTags: deleteTags,
  DescribeTags: describeTags,
  DescribeRegions: describeRegions,
  DescribeAvailabilityZones: describeAvailabilityZones,
  DescribeImages: describeImages,
  DescribeSubnets: describeSubnets,
  DescribeSecurityGroups: describeSecurityGroups,
  CreateSecurityGroup: createSecurityGroup,
  DeleteSecurityGroup: deleteSecurityGroup,
  AuthorizeSecurityGroupIngress: authorizeSecurityGroupIngress,
  RevokeSecurityGroupIngress: revokeSecurityGroupIngress,
  DescribeKeyPairs: describeKeyPairs,
  CreateKeyPair: createKeyPair,
  ImportKeyPair: importKeyPair,
  DeleteKeyPair: deleteKeyPair,
  CreatePlacementGroup: createPlacementGroup,
  DescribePlacementGroups: describePlacementGroups,
  DeletePlacementGroup: deletePlacementGroup,
  DescribeSpotPriceHistory: describeSpotPriceHistory,
  DescribeSpotInstanceRequests: describeSpotInstanceRequests,
  CancelSpotInstanceRequests: cancelSpotInstanceRequests,
};

/** The action names, for docs and `dust emulator --help`. */
export const SUPPORTED_ACTIONS: readonly string[] = Object.keys(ACTION_HANDLERS);
