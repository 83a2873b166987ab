// @ts-check
'use strict';

module.exports = {
  ...require('./moto/motoServer'),
  ...require('./moto/faultProxy'),
  ...require('./kube/controlPlane'),
  ...require('./kube/nodeJoin'),
  ...require('./localEstate'),
  ...require('./karpenter-bench'),
};
