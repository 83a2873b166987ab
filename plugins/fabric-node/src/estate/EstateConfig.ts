import { z } from 'zod';
import { accountIdSchema, instanceFamilySchema, regionSchema } from '@internal/backstage-plugin-fabric-common';

const roleArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/,
    'must be an IAM role ARN such as arn:aws:iam::111111111111:role/fabric-member',
  );

const accountSchema = z
  .object({
    id: accountIdSchema,
    name: z.string().min(1),
    roleArn: roleArn.optional(),
    /** Optional; only meaningful when a third party operates the hub. */
    externalId: z.string().min(2).max(1224).regex(/^[\w+=,.@:\/-]+$/).optional(),
    regions: z.array(regionSchema).nonempty().optional(),
    role: z.enum(['hub', 'network', 'member']).default('member'),
  })
  .strict()
  .superRefine((account, ctx) => {
    if (account.roleArn && !account.roleArn.includes(`::${account.id}:`)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['roleArn'],
        message: `must be a role in account ${account.id}`,
      });
    }
  });

const estateSchema = z
  .object({
    source: z.enum(['demo', 'aws']).default('demo'),
    mode: z.enum(['plan-only', 'apply']).default('plan-only'),
    defaultRegions: z.array(regionSchema).nonempty().default(['us-east-1']),
    gpuFamilies: z
      .array(instanceFamilySchema)
      .nonempty()
      .default(['p5', 'p5e', 'p5en', 'p4d', 'p4de', 'g5', 'g6', 'g6e', 'trn1']),
    accounts: z.array(accountSchema).default([]),
  })
  .strict()
  .superRefine((estate, ctx) => {
    const seen = new Set<string>();
    estate.accounts.forEach((account, i) => {
      if (seen.has(account.id)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['accounts', i, 'id'],
          message: `account ${account.id} is enrolled twice`,
        });
      }
      seen.add(account.id);
    });
    if (estate.source === 'aws' && estate.accounts.length === 0) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['accounts'],
        message: 'an aws estate needs at least one enrolled account',
      });
    }
    const hubs = estate.accounts.filter(a => a.role === 'hub').length;
    if (hubs > 1) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['accounts'],
        message: `only one account may have role "hub" (found ${hubs})`,
      });
    }
  });

const awsSchema = z
  .object({
    /** Overrides every AWS endpoint: private endpoints, or moto in tests. */
    endpoint: z.string().url().optional(),
    /** Attempts per AWS call, with adaptive backoff between them. */
    maxAttempts: z.number().int().min(1).max(10).default(5),
    /** Cells discovered at the same time. */
    concurrency: z.number().int().min(1).max(64).default(8),
    /**
     * Backend replicas calling AWS for this estate. EC2 throttles per account and region,
     * so each replica's client-side buckets hold 1/replicas of EC2's.
     */
    replicas: z.number().int().min(1).max(64).default(1),
  })
  .strict();

const hubSchema = z
  .object({
    /** EKS cluster the fabric's NodePools serve. */
    clusterName: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, 'must be an EKS cluster name').default('fabric-hub'),
    /** IAM role of the nodes Karpenter launches (EC2NodeClass.spec.role). */
    nodeRoleName: z.string().regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name').default('KarpenterNodeRole-fabric-hub'),
    /** The hub cluster's service CIDR, for the nodes' nodeadm configuration. */
    serviceCidr: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, 'must be an IPv4 CIDR').default('172.20.0.0/16'),
    /**
     * The hub cluster's API server, for applying NodePools, EC2NodeClasses and islands.
     * Without it the fabric renders Kubernetes artifacts but does not apply them.
     */
    kubernetes: z
      .object({
        url: z.string().url(),
        token: z.string().min(1),
        caData: z.string().optional(),
        insecureSkipTlsVerify: z.boolean().default(false),
      })
      .strict()
      .optional(),
  })
  .strict();

/**
 * The fabric provisioner: turns pending GPU pods in the hub cluster into nodes in any
 * enrolled cell. Off by default; needs `fabric.hub.kubernetes`.
 */
const provisionerSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** Namespace of the leader-election Lease (one active loop per hub cluster). */
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name').default('cloudspectra-fabric'),
    /** Seconds a leader holds the Lease without renewing; a standby takes over after it. */
    leaseDurationSeconds: z.number().int().min(5).max(300).default(15),
    /** Karpenter's batching: a batch closes after this much quiet ... */
    batchIdleSeconds: z.number().min(0.1).max(60).default(1),
    /** ... or after this long in total. */
    batchMaxSeconds: z.number().min(0.1).max(600).default(10),
    /** A NodeClaim whose node has not joined by then is terminated and replaced. */
    registrationTimeoutSeconds: z.number().int().min(10).max(7200).default(900),
    /** Fabric-tagged instances without a NodeClaim older than this are terminated. */
    garbageCollectionGraceSeconds: z.number().int().min(10).max(86400).default(120),
    /** How often lifecycle checks (registration, gangs, consolidation, terminations) run. */
    lifecycleIntervalSeconds: z.number().min(0.5).max(3600).default(10),
    /** How often every cell's instances are listed for garbage collection. */
    garbageCollectionIntervalSeconds: z.number().min(1).max(86400).default(60),
    /**
     * The node AMI per region: the EKS-optimized accelerated AL2023 AMI of your cluster's
     * Kubernetes version (`aws ssm get-parameter --name /aws/service/eks/optimized-ami/<version>/amazon-linux-2023/x86_64/nvidia/recommended/image_id`).
     * A region without one cannot launch; its NodePools say so.
     */
    imageIds: z.record(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a region'), z.string().regex(/^ami-[0-9a-f]+$/, 'must be an AMI id')).default({}),
    /** The API server and CA nodes join (default: fabric.hub.kubernetes url and caData). */
    apiServerEndpoint: z.string().url().optional(),
  })
  .strict();

const fabricSchema = z
  .object({
    estate: estateSchema.default({}),
    hub: hubSchema.default({}),
    aws: awsSchema.default({}),
    discovery: z
      .object({
        schedule: z
          .object({ frequencyMinutes: z.number().int().min(1).max(1440) })
          .strict()
          .default({ frequencyMinutes: 15 }),
      })
      .strict()
      .default({}),
    plans: z
      .object({
        /**
         * How long an apply holds its plan without renewing (renewed every third of it).
         * Another backend replica resumes the apply only after it expires.
         */
        leaseSeconds: z.number().int().min(5).max(3600).default(60),
      })
      .strict()
      .default({}),
    provisioner: provisionerSchema.default({}),
  })
  .strict();

/** An enrolled AWS account. */
export type EstateAccount = z.infer<typeof accountSchema>;
/** The validated `fabric` configuration block. */
export type FabricConfig = z.infer<typeof fabricSchema>;

/**
 * A configuration value the fabric cannot run with. The message names the key, in
 * app-config dot notation, so an operator can find it.
 */
export class FabricConfigError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(`Invalid fabric configuration at '${key}': ${message}`);
    this.name = 'FabricConfigError';
    this.key = key;
  }
}

/**
 * Validates the raw `fabric` block of app-config. Throws a {@link FabricConfigError}
 * naming the first bad key; unknown keys are errors too, since a typo would otherwise
 * silently fall back to a default.
 */
export function parseFabricConfig(raw: unknown): FabricConfig {
  const result = fabricSchema.safeParse(raw ?? {});
  if (result.success) {
    return result.data;
  }
  const issue = result.error.issues[0];
  let path = ['fabric', ...issue.path.map(String)];
  let message = issue.message;
  if (issue.code === z.ZodIssueCode.unrecognized_keys) {
    path = [...path, issue.keys[0]];
    message = 'unknown key';
  } else if (issue.code === z.ZodIssueCode.invalid_type) {
    message = `expected ${issue.expected}, got ${issue.received}`;
  }
  throw new FabricConfigError(path.join('.').replace(/\.(\d+)(?=\.|$)/g, '[$1]'), message);
}

/** The regions a given account is scanned in. */
export function regionsOf(config: FabricConfig, account: EstateAccount): string[] {
  return account.regions ?? config.estate.defaultRegions;
}
