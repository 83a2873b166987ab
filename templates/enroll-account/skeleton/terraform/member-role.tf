# CloudSpectra Fabric role for ${{ values.name }} (${{ values.accountId }}), assumed by the fabric hub
# arn:aws:iam::${{ values.hubAccountId }}:role/${{ values.hubRoleName }}. Same role and policy as
# ../cloudformation/member-role.yaml. Apply with credentials of account ${{ values.accountId }}.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

locals {
  hub_role_arn = "arn:aws:iam::${{ values.hubAccountId }}:role/${{ values.hubRoleName }}"
  regions      = [{% for r in values.regions %}"${{ r }}"{% if not loop.last %}, {% endif %}{% endfor %}]
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "FabricHub"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = [local.hub_role_arn]
    }
{%- if values.externalId %}
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [${{ values.externalId | dump }}]
    }
{%- endif %}
  }
}

resource "aws_iam_role" "fabric" {
  name                 = "cloudspectra-fabric-member"
  description          = "Assumed by CloudSpectra Fabric (session name cloudspectra-fabric)"
  max_session_duration = 3600
  assume_role_policy   = data.aws_iam_policy_document.trust.json
}

data "aws_iam_policy_document" "fabric" {
  # Discovery: read-only, in the enrolled regions only.
  statement {
    sid    = "Discovery"
    effect = "Allow"
    actions = [
      "ec2:DescribeAvailabilityZones",
      "ec2:DescribeInstanceTypes",
      "ec2:DescribeInstanceTypeOfferings",
      "ec2:DescribeSpotPriceHistory",
      "ec2:GetSpotPlacementScores",
      "ec2:DescribeCapacityReservations",
      "ec2:DescribeInstances",
      "servicequotas:GetServiceQuota",
      "servicequotas:GetAWSDefaultServiceQuota",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = local.regions
    }
  }
{%- if values.meshActions %}

  # Peering mesh: find the mesh VPCs, peer them, route to the peers.
  statement {
    sid    = "PeeringMesh"
    effect = "Allow"
    actions = [
      "ec2:DescribeVpcs",
      "ec2:DescribeRouteTables",
      "ec2:DescribeVpcPeeringConnections",
      "ec2:CreateVpcPeeringConnection",
      "ec2:AcceptVpcPeeringConnection",
      "ec2:ModifyVpcPeeringConnectionOptions",
      "ec2:DeleteVpcPeeringConnection",
      "ec2:CreateRoute",
      "ec2:ReplaceRoute",
      "ec2:DeleteRoute",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = local.regions
    }
  }

  statement {
    sid       = "PeeringMeshTagOnCreate"
    effect    = "Allow"
    actions   = ["ec2:CreateTags"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values   = ["CreateVpcPeeringConnection"]
    }
  }
{%- endif %}
{%- if values.islandActions and values.role == 'network' %}

  # EFA islands, network account: the island's subnet, security group, placement group,
  # and the RAM share with the member accounts.
  statement {
    sid    = "IslandNetwork"
    effect = "Allow"
    actions = [
      "ec2:CreateSubnet",
      "ec2:DeleteSubnet",
      "ec2:DescribeSubnets",
      "ec2:CreateSecurityGroup",
      "ec2:DeleteSecurityGroup",
      "ec2:DescribeSecurityGroups",
      "ec2:AuthorizeSecurityGroupIngress",
      "ec2:AuthorizeSecurityGroupEgress",
      "ec2:RevokeSecurityGroupIngress",
      "ec2:RevokeSecurityGroupEgress",
      "ec2:DescribeSecurityGroupRules",
      "ec2:CreatePlacementGroup",
      "ec2:DescribePlacementGroups",
      "ec2:DeletePlacementGroup",
      "ram:CreateResourceShare",
      "ram:GetResourceShares",
      "ram:GetResourceShareAssociations",
      "ram:AssociateResourceShare",
      "ram:DeleteResourceShare",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = local.regions
    }
  }

  statement {
    sid       = "IslandNetworkTagOnCreate"
    effect    = "Allow"
    actions   = ["ec2:CreateTags"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values = [
        "CreateSubnet",
        "CreateSecurityGroup",
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
        "CreatePlacementGroup",
      ]
    }
  }
{%- elif values.islandActions %}

  # EFA islands, member account: a launch template per instance type.
  statement {
    sid    = "IslandMember"
    effect = "Allow"
    actions = [
      "ec2:CreateLaunchTemplate",
      "ec2:DeleteLaunchTemplate",
      "ec2:DescribeLaunchTemplates",
      "ec2:DescribeLaunchTemplateVersions",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = local.regions
    }
  }

  statement {
    sid       = "IslandMemberTagOnCreate"
    effect    = "Allow"
    actions   = ["ec2:CreateTags"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values   = ["CreateLaunchTemplate"]
    }
  }
{%- endif %}
}

resource "aws_iam_role_policy" "fabric" {
  name   = "cloudspectra-fabric"
  role   = aws_iam_role.fabric.id
  policy = data.aws_iam_policy_document.fabric.json
}

output "role_arn" {
  description = "roleArn of the account's entry in fabric.estate.accounts"
  value       = aws_iam_role.fabric.arn
}
