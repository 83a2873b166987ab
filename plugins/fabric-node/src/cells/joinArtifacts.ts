import { toYamlDocument } from '../compile/toYaml';

/** Whether AWS documents a part of the cross-account node mechanism (docs/aws-facts.md §8). */
export type SupportStatus = 'documented' | 'undocumented';

/** The IAM roles, access entry and node configuration a member account's nodes need. */
export interface CellJoinArtifacts {
  /** Instance role in the member account: what the EC2 instance runs as. */
  memberInstanceRole: { arn: string; trustPolicy: object; policy: object };
  /** Node role in the hub account: what the node authenticates to the cluster as. */
  hubNodeRole: { arn: string; trustPolicy: object; managedPolicyArns: string[] };
  /** EKS access entry for the hub node role. */
  accessEntry: { clusterName: string; principalArn: string; type: 'EC2_LINUX' };
  /** AL2023 nodeadm configuration, as user data. */
  nodeadmConfig: string;
  /** What AWS supports of this, part by part, said plainly. */
  support: Array<{ part: string; status: SupportStatus; note: string }>;
}

export interface CellJoinInput {
  clusterName: string;
  hubAccountId: string;
  memberAccountId: string;
  /** The hub node role (EC2NodeClass.spec.role). */
  nodeRoleName: string;
  apiServerEndpoint: string;
  /** Base64 CA bundle of the cluster. */
  certificateAuthority: string;
  /** The cluster's service CIDR. */
  serviceCidr: string;
  partition?: string;
}

/**
 * Renders what a member account needs so its instances can join the hub cluster. AWS
 * documents node access entries only for roles in the cluster's own account, and nodes
 * only in the cluster's VPC (RAM-shared subnets keep them there), so the fabric renders
 * the chain it uses — member instance role → assumes the hub node role → access entry of
 * type EC2_LINUX — and marks which links AWS documents and which it does not.
 */
export function renderCellJoinArtifacts(input: CellJoinInput): CellJoinArtifacts {
  const partition = input.partition ?? 'aws';
  const hubNodeRoleArn = `arn:${partition}:iam::${input.hubAccountId}:role/${input.nodeRoleName}`;
  const memberRoleName = `cloudspectra-fabric-node-${input.clusterName}`.slice(0, 64);
  const memberRoleArn = `arn:${partition}:iam::${input.memberAccountId}:role/${memberRoleName}`;
  return {
    memberInstanceRole: {
      arn: memberRoleArn,
      trustPolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      policy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: hubNodeRoleArn }],
      },
    },
    hubNodeRole: {
      arn: hubNodeRoleArn,
      trustPolicy: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
          { Effect: 'Allow', Principal: { AWS: memberRoleArn }, Action: 'sts:AssumeRole' },
        ],
      },
      managedPolicyArns: [
        `arn:${partition}:iam::aws:policy/AmazonEKSWorkerNodePolicy`,
        `arn:${partition}:iam::aws:policy/AmazonEKS_CNI_Policy`,
        `arn:${partition}:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly`,
      ],
    },
    accessEntry: { clusterName: input.clusterName, principalArn: hubNodeRoleArn, type: 'EC2_LINUX' },
    nodeadmConfig: toYamlDocument({
      apiVersion: 'node.eks.aws/v1alpha1',
      kind: 'NodeConfig',
      spec: {
        cluster: {
          name: input.clusterName,
          apiServerEndpoint: input.apiServerEndpoint,
          certificateAuthority: input.certificateAuthority,
          cidr: input.serviceCidr,
        },
      },
    }),
    support: [
      {
        part: 'Nodes in RAM-shared subnets of the cluster VPC',
        status: 'documented',
        note: 'Nodes must be in the cluster VPC; VPC sharing lets member accounts launch into its subnets.',
      },
      {
        part: 'EC2_LINUX access entry for the hub node role',
        status: 'documented',
        note: 'Node access entries must name a role in the cluster account; this one does.',
      },
      {
        part: 'Member instance role assuming the hub node role to authenticate the kubelet',
        status: 'undocumented',
        note: 'AWS does not document cross-account node identity (containers-roadmap #307); test it in your estate before relying on it.',
      },
      {
        part: 'One Karpenter controller launching into several accounts',
        status: 'undocumented',
        note: 'Karpenter launches with its own identity (one account); the fabric launches in member accounts itself.',
      },
    ],
  };
}
