// @ts-check
'use strict';

module.exports = {
  ...require('./moto/motoServer'),
  ...require('./kube/controlPlane'),
  ...require('./karpenter-bench'),
};
