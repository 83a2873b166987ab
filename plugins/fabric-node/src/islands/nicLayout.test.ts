import { InstanceTypeInfo } from '@internal/backstage-plugin-fabric-common';
import { demoInstanceTypes } from '../discovery/demo/instanceTypes';
import { efaNetworkInterfaces } from '../compile/karpenter';
import { islandNetworkInterfaces, launchTemplateNetworkInterfaces } from './nicLayout';

const info = (instanceType: string): InstanceTypeInfo => demoInstanceTypes.find(t => t.instanceType === instanceType)!;
const efaOnly = <T extends { interfaceType: string }>(nics: T[]) => nics.filter(n => n.interfaceType === 'efa-only');

describe('the island NIC layout', () => {
  it('p5.48xlarge (32 cards, 32 EFA): the ENA primary, then one EFA-only per card, card 0 on device 1', () => {
    const nics = islandNetworkInterfaces(info('p5.48xlarge'));
    expect(nics[0]).toEqual({ networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' });
    expect(nics.filter(n => n.interfaceType === 'interface')).toHaveLength(1);
    // AWS's own P5 recipe: 1 ENA + 32 EFA devices; card 0 carries EFA too (EC2 UG, efa-acc-inst-types).
    expect(efaOnly(nics)).toHaveLength(32);
    expect(nics[1]).toEqual({ networkCardIndex: 0, deviceIndex: 1, interfaceType: 'efa-only' });
    expect(nics.slice(2).map(n => [n.networkCardIndex, n.deviceIndex])).toEqual(
      Array.from({ length: 31 }, (_, i) => [i + 1, 0]),
    );
  });

  it('never exceeds the type\'s EFA maximum: 32 cards with 31 EFA leave card 0 to ENA alone', () => {
    const nics = islandNetworkInterfaces({ ...info('p5.48xlarge'), maxEfaInterfaces: 31 });
    expect(efaOnly(nics)).toHaveLength(31);
    expect(efaOnly(nics).map(n => n.networkCardIndex)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    const capped = islandNetworkInterfaces({ ...info('p5.48xlarge'), maxEfaInterfaces: 8 });
    expect(efaOnly(capped)).toHaveLength(8);
  });

  it('p4d.24xlarge (4 cards, 4 EFA): the primary and 4 EFA-only', () => {
    expect(islandNetworkInterfaces(info('p4d.24xlarge'))).toEqual([
      { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' },
      { networkCardIndex: 0, deviceIndex: 1, interfaceType: 'efa-only' },
      { networkCardIndex: 1, deviceIndex: 0, interfaceType: 'efa-only' },
      { networkCardIndex: 2, deviceIndex: 0, interfaceType: 'efa-only' },
      { networkCardIndex: 3, deviceIndex: 0, interfaceType: 'efa-only' },
    ]);
  });

  it('p6-b300 (17 cards, 16 EFA, card 0 ENA-only): EFA-only on cards 1..16', () => {
    const p6b300 = { ...info('p5.48xlarge'), instanceType: 'p6-b300.48xlarge', networkCards: 17, maxEfaInterfaces: 16 };
    const nics = islandNetworkInterfaces(p6b300);
    expect(efaOnly(nics).map(n => n.networkCardIndex)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
  });

  it('is the layout the compiled EC2NodeClass uses, and refuses a type without EFA', () => {
    for (const type of ['p5.48xlarge', 'p5en.48xlarge', 'g6e.48xlarge', 'trn1.32xlarge', 'g5.48xlarge']) {
      expect(islandNetworkInterfaces(info(type))).toEqual(efaNetworkInterfaces(info(type)));
    }
    expect(() => islandNetworkInterfaces(info('g6e.xlarge'))).toThrow('g6e.xlarge does not support EFA');
  });

  it('as launch-template interfaces: every one in the island subnet and security group, deleted with the instance', () => {
    const nics = launchTemplateNetworkInterfaces(info('p4d.24xlarge'), 'subnet-1', 'sg-1');
    expect(nics).toHaveLength(5);
    expect(nics[0]).toEqual({
      NetworkCardIndex: 0,
      DeviceIndex: 0,
      InterfaceType: 'interface',
      SubnetId: 'subnet-1',
      Groups: ['sg-1'],
      DeleteOnTermination: true,
    });
    expect(nics.slice(1).every(n => n.InterfaceType === 'efa-only' && n.SubnetId === 'subnet-1')).toBe(true);
  });
});
