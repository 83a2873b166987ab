// @ts-check
'use strict';

// A whole estate on one machine, for the sandbox and the provisioner's end-to-end tests:
// moto_server behind the fault proxy (each account with its own AZ names and Service
// Quotas), the Kubernetes test plane with KWOK as the hub cluster, and node join turning
// each running instance of every account × region into a Node of that hub.
// The fabric is pointed at `awsEndpoint` and at the plane (server, token or kubeconfig).

const { startMotoServer } = require('./moto/motoServer');
const { rotatedAzNames, startFaultProxy } = require('./moto/faultProxy');
const { startControlPlane } = require('./kube/controlPlane');
const { startNodeJoin } = require('./kube/nodeJoin');

/** @param {import('./localEstate').StartLocalEstateOptions} options @returns {Promise<import('./localEstate').LocalEstate>} */
async function startLocalEstate({
  accounts,
  serviceQuotas = {},
  awsDefaultQuotas = {},
  azNames = rotatedAzNames(),
  spotPrices,
  join = {},
  controllerManager = false,
  log = () => {},
}) {
  /** @type {Array<() => Promise<void>>} */
  const stops = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    stops.length = 0;
  };
  try {
    const [moto, plane] = await Promise.all([startMotoServer(), startControlPlane({ kwok: true, controllerManager, log })]);
    stops.push(() => moto.stop(), () => plane.stop());
    const proxy = await startFaultProxy({ target: moto.endpoint, serviceQuotas, awsDefaultQuotas, azNames, spotPrices, log });
    stops.push(() => proxy.stop());
    const nodeJoin = await startNodeJoin({ plane, endpoint: proxy.endpoint, accounts, log, ...join });
    stops.push(() => nodeJoin.stop());
    log(`local estate: AWS at ${proxy.endpoint} (moto ${moto.version}), hub cluster at ${plane.server}, `
      + `${accounts.length} accounts joining nodes`);
    return { awsEndpoint: proxy.endpoint, moto, proxy, plane, nodeJoin, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

module.exports = { startLocalEstate };
