//go:build tools

package karpenterbench

import _ "sigs.k8s.io/karpenter/pkg/controllers/provisioning/scheduling"
