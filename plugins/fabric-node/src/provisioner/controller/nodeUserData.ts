import { Taint } from '../../compile/karpenter';

export interface NodeUserDataInput {
  clusterName: string;
  /** The hub cluster's API server as nodes reach it. */
  apiServerEndpoint: string;
  /** Base64 PEM CA bundle of the API server. */
  certificateAuthority: string;
  serviceCidr: string;
  /** Taints the kubelet registers the node with (the fabric's startup taint among them). */
  taints: Taint[];
  labels?: Record<string, string>;
}

/**
 * User data of a fabric node: an AL2023 `nodeadm` NodeConfig (docs/aws-facts.md §8) whose
 * kubelet flags register the node tainted and labelled, so no pod lands on it before the
 * provisioner has matched it to its NodeClaim and removed the startup taint — the way
 * Karpenter's own startup taints work.
 */
export function nodeUserData(input: NodeUserDataInput): string {
  const flags = [
    ...(input.taints.length
      ? [`--register-with-taints=${input.taints.map(t => `${t.key}=${t.value ?? ''}:${t.effect}`).join(',')}`]
      : []),
    ...(input.labels && Object.keys(input.labels).length
      ? [`--node-labels=${Object.entries(input.labels).map(([k, v]) => `${k}=${v}`).join(',')}`]
      : []),
  ];
  const lines = [
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="FABRIC"',
    '',
    '--FABRIC',
    'Content-Type: application/node.eks.aws',
    '',
    'apiVersion: node.eks.aws/v1alpha1',
    'kind: NodeConfig',
    'spec:',
    '  cluster:',
    `    name: ${JSON.stringify(input.clusterName)}`,
    `    apiServerEndpoint: ${JSON.stringify(input.apiServerEndpoint)}`,
    `    certificateAuthority: ${JSON.stringify(input.certificateAuthority)}`,
    `    cidr: ${JSON.stringify(input.serviceCidr)}`,
    ...(flags.length ? ['  kubelet:', '    flags:', ...flags.map(f => `      - ${JSON.stringify(f)}`)] : []),
    '',
    '--FABRIC--',
    '',
  ];
  return lines.join('\n');
}
