import { STATE_CODES, type InstanceRecord, type InstanceStateName } from '../model.js';
import type { XmlObject } from '../xml.js';
import { tagSetXml } from './context.js';

/** `{code, name}` as in `instanceState`, `currentState`, `previousState`. */
export function stateXml(state: InstanceStateName): XmlObject {
  return { code: STATE_CODES[state], name: state };
}

/** `ip-172-31-0-10.ec2.internal` in us-east-1, `ip-….<region>.compute.internal` elsewhere. */
export function privateDnsName(ip: string, region: string): string {
  const host = `ip-${ip.replace(/\./g, '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

/** `ec2-198-51-100-7.compute-1.amazonaws.com` in us-east-1, `ec2-….<region>.compute.amazonaws.com` elsewhere. */
export function publicDnsName(ip: string, region: string): string {
  const host = `ec2-${ip.replace(/\./g, '-')}`;
  return region === 'us-east-1' ? `${host}.compute-1.amazonaws.com` : `${host}.${region}.compute.amazonaws.com`;
}

/** A plausible vCPU count from the size suffix (`large` → 2, `4xlarge` → 16); only feeds `cpuOptions`. */
function vcpuCount(instanceType: string): number {
  const size = instanceType.split('.')[1] ?? '';
  if (size === 'nano' || size === 'micro' || size === 'small' || size === 'medium' || size === 'large') return 2;
  if (size === 'xlarge') return 4;
  const m = /^(\d+)xlarge$/.exec(size);
  return m?.[1] ? Number(m[1]) * 4 : 2;
}

/**
 * The `instancesSet/item` element, with the fields a real DescribeInstances answer has. Terminated
 * instances lose their network interface, addresses, VPC placement, groups and volumes, as in EC2.
 */
export function instanceXml(instance: InstanceRecord, region: string, accountId: string): XmlObject {
  const terminated = instance.state === 'terminated';
  const hasNetwork = !terminated;
  const publicIp = hasNetwork ? instance.publicIp : undefined;
  const privateDns = hasNetwork ? privateDnsName(instance.privateIp, region) : '';
  const publicDns = publicIp !== undefined ? publicDnsName(publicIp, region) : '';
  const groups = hasNetwork ? instance.groups.map((g) => ({ groupId: g.id, groupName: g.name })) : [];
  const association =
    publicIp !== undefined ? { ipOwnerId: 'amazon', publicDnsName: publicDns, publicIp } : undefined;
  const vcpus = vcpuCount(instance.instanceType);
  const arm = instance.architecture === 'arm64';

  return {
    instanceId: instance.id,
    imageId: instance.imageId,
    instanceState: stateXml(instance.state),
    privateDnsName: privateDns,
    dnsName: publicDns,
    reason: instance.transitionReason,
    keyName: instance.keyName,
    amiLaunchIndex: instance.launchIndex,
    productCodes: [],
    instanceType: instance.instanceType,
    launchTime: new Date(instance.launchTime),
    placement: {
      availabilityZone: instance.availabilityZone,
      groupName: instance.placement?.groupName ?? '',
      groupId: instance.placement?.groupId,
      partitionNumber: instance.placement?.partitionNumber,
      tenancy: 'default',
    },
    instanceLifecycle: instance.spot ? 'spot' : undefined,
    spotInstanceRequestId: instance.spot?.requestId,
    monitoring: { state: 'disabled' },
    subnetId: hasNetwork ? instance.subnetId : undefined,
    vpcId: hasNetwork ? instance.vpcId : undefined,
    privateIpAddress: hasNetwork ? instance.privateIp : undefined,
    ipAddress: publicIp,
    sourceDestCheck: hasNetwork ? true : undefined,
    groupSet: groups,
    stateReason: instance.stateReason ? { code: instance.stateReason.code, message: instance.stateReason.message } : undefined,
    architecture: instance.architecture,
    rootDeviceType: 'ebs',
    rootDeviceName: instance.rootDeviceName,
    blockDeviceMapping: terminated
      ? []
      : instance.blockDevices.map((d) => ({
          deviceName: d.deviceName,
          ebs: {
            volumeId: d.volumeId,
            status: 'attached',
            attachTime: new Date(d.attachTime),
            deleteOnTermination: d.deleteOnTermination,
          },
        })),
    virtualizationType: 'hvm',
    clientToken: instance.clientToken ?? '',
    tagSet: tagSetXml(instance.tags),
    hypervisor: 'xen',
    networkInterfaceSet: hasNetwork
      ? [
          {
            networkInterfaceId: instance.networkInterfaceId,
            subnetId: instance.subnetId,
            vpcId: instance.vpcId,
            description: '',
            ownerId: accountId,
            status: 'in-use',
            macAddress: instance.macAddress,
            privateIpAddress: instance.privateIp,
            privateDnsName: privateDns,
            sourceDestCheck: true,
            groupSet: groups,
            attachment: {
              attachmentId: instance.attachmentId,
              deviceIndex: 0,
              status: 'attached',
              attachTime: new Date(instance.launchTime),
              deleteOnTermination: true,
              networkCardIndex: 0,
            },
            association,
            privateIpAddressesSet: [
              { privateIpAddress: instance.privateIp, privateDnsName: privateDns, primary: true, association },
            ],
            ipv6AddressesSet: [],
            interfaceType: 'interface',
          },
        ]
      : [],
    ebsOptimized: false,
    enaSupport: true,
    cpuOptions: { coreCount: arm ? vcpus : Math.max(1, vcpus / 2), threadsPerCore: arm ? 1 : vcpus > 1 ? 2 : 1 },
    capacityReservationSpecification: { capacityReservationPreference: 'open' },
    hibernationOptions: { configured: false },
    metadataOptions: {
      state: 'applied',
      httpTokens: 'required',
      httpPutResponseHopLimit: 2,
      httpEndpoint: 'enabled',
      httpProtocolIpv6: 'disabled',
      instanceMetadataTags: 'disabled',
    },
    enclaveOptions: { enabled: false },
    platformDetails: instance.platformDetails,
    usageOperation: 'RunInstances',
    usageOperationUpdateTime: new Date(instance.launchTime),
    privateDnsNameOptions: {
      hostnameType: 'ip-name',
      enableResourceNameDnsARecord: false,
      enableResourceNameDnsAAAARecord: false,
    },
    maintenanceOptions: { autoRecovery: 'default' },
    currentInstanceBootMode: arm ? 'uefi' : 'legacy-bios',
  };
}
