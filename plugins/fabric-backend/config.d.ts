export interface Config {
  /** CloudSpectra Fabric: one GPU pool across AWS accounts and regions. */
  fabric?: {
    estate?: {
      /**
       * Where capacity comes from: `demo` (built-in demo estate, no AWS needed) or
       * `aws` (the enrolled accounts below).
       * @visibility frontend
       */
      source?: 'demo' | 'aws';
      /**
       * `plan-only` renders and shows every plan but never changes cloud resources;
       * `apply` lets permitted users apply plans.
       * @visibility frontend
       */
      mode?: 'plan-only' | 'apply';
      /**
       * Regions scanned for accounts that do not list their own.
       * @visibility backend
       */
      defaultRegions?: string[];
      /**
       * Instance families of interest, e.g. p5, p4d, g6e, trn1.
       * @visibility backend
       */
      gpuFamilies?: string[];
      /** Enrolled AWS accounts. */
      accounts?: Array<{
        /** 12-digit account id. @visibility backend */
        id: string;
        /** Display name. @visibility backend */
        name: string;
        /** Role the hub assumes in this account; omit for the hub's own account. @visibility backend */
        roleArn?: string;
        /** sts:ExternalId required by the role's trust policy. @visibility secret */
        externalId?: string;
        /** Regions to scan in this account. @visibility backend */
        regions?: string[];
        /** hub (runs the cluster), network (owns shared VPCs), or member. @visibility backend */
        role?: 'hub' | 'network' | 'member';
      }>;
    };
    /** The hub cluster the fabric compiles Karpenter objects for. */
    hub?: {
      /** EKS cluster name (default fabric-hub). @visibility backend */
      clusterName?: string;
      /** IAM role name of the nodes (default KarpenterNodeRole-fabric-hub). @visibility backend */
      nodeRoleName?: string;
      /** The hub cluster's service CIDR (default 172.20.0.0/16). @visibility backend */
      serviceCidr?: string;
      /** The hub cluster's API server; without it artifacts are rendered, not applied. */
      kubernetes?: {
        /** API server URL. @visibility backend */
        url: string;
        /** Bearer token of the fabric's service account. @visibility secret */
        token: string;
        /** PEM CA bundle of the API server. @visibility backend */
        caData?: string;
        /** Skip TLS verification (test clusters only). @visibility backend */
        insecureSkipTlsVerify?: boolean;
      };
    };
    aws?: {
      /**
       * Overrides every AWS endpoint (private endpoints, or moto_server in tests).
       * @visibility backend
       */
      endpoint?: string;
      /**
       * Attempts per AWS call, with adaptive backoff between them (default 5).
       * @visibility backend
       */
      maxAttempts?: number;
      /**
       * Cells (account × region) discovered at the same time (default 8).
       * @visibility backend
       */
      concurrency?: number;
      /**
       * Backend replicas calling AWS for this estate (default 1). EC2 throttles per account
       * and region, so each replica paces itself with 1/replicas of EC2's token buckets.
       * @visibility backend
       */
      replicas?: number;
    };
    discovery?: {
      schedule?: {
        /** Minutes between discovery runs. @visibility backend */
        frequencyMinutes: number;
      };
    };
    /** The provisioner: pending GPU pods in the hub cluster become nodes in any enrolled cell. */
    provisioner?: {
      /** Run the provisioner in this backend (needs fabric.hub.kubernetes). Default false. @visibility backend */
      enabled?: boolean;
      /** Namespace of its leader-election Lease (default cloudspectra-fabric). @visibility backend */
      namespace?: string;
      /** Seconds the leader holds the Lease without renewing (default 15). @visibility backend */
      leaseDurationSeconds?: number;
      /** A batch of pending pods closes after this many quiet seconds (default 1). @visibility backend */
      batchIdleSeconds?: number;
      /** ... or after this many seconds in total (default 10). @visibility backend */
      batchMaxSeconds?: number;
      /** A node that has not joined by then is terminated and replaced (default 900). @visibility backend */
      registrationTimeoutSeconds?: number;
      /** Fabric-tagged instances without a NodeClaim older than this are terminated (default 120). @visibility backend */
      garbageCollectionGraceSeconds?: number;
      /** Seconds between lifecycle passes (default 10). @visibility backend */
      lifecycleIntervalSeconds?: number;
      /** Seconds between garbage-collection listings of every cell's instances (default 60). @visibility backend */
      garbageCollectionIntervalSeconds?: number;
      /** Node AMI per region (EKS-optimized accelerated AL2023). @visibility backend */
      imageIds?: Record<string, string>;
      /** API server URL nodes join (default fabric.hub.kubernetes.url). @visibility backend */
      apiServerEndpoint?: string;
    };
    plans?: {
      /**
       * Seconds an apply holds its plan without renewing the lease (default 60). With
       * several backend replicas on one database, another replica resumes an apply only
       * after its lease expired. @visibility backend
       */
      leaseSeconds?: number;
    };
  };
}
