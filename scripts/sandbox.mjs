// `npm run sandbox`: moto_server on a free loopback port, then the portal with
// app-config.sandbox.yaml pointing the fabric at it. Ctrl-C stops both.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { startMotoServer } = require('../test-tooling/moto/motoServer.js');
const { rotatedAzNames, startFaultProxy } = require('../test-tooling/moto/faultProxy.js');
const root = new URL('..', import.meta.url).pathname;

// What moto lacks and a real estate has, served by the proxy in front of it: the
// accounts' vCPU quotas (moto has no Service Quotas, so every offering had 0 headroom),
// spot prices for Linux, and per-account AZ names (the same AZ-ID is a different
// us-east-1x in each account, as in AWS).
const sandboxQuotas = {
  'L-417A185B': 768, // Running On-Demand P instances
  'L-C4BD4855': 384, // All P5 Spot Instance Requests
  'L-7212CCBC': 384, // All P4, P3 and P2 Spot Instance Requests
  'L-DB2E81BA': 1536, // Running On-Demand G and VT instances
  'L-3819A6DF': 768, // All G and VT Spot Instance Requests
  'L-2C3B7624': 512, // Running On-Demand Trn instances
  'L-6B0D517C': 256, // All Trn Spot Instance Requests
};
// Spot at 30–45 % of the on-demand list price, different in each AZ-ID.
const onDemand = {
  'p5.48xlarge': 55.04, 'p4d.24xlarge': 21.96, 'g5.xlarge': 1.006, 'g5.12xlarge': 5.672, 'g5.48xlarge': 16.288,
  'g6.xlarge': 0.805, 'g6.12xlarge': 4.602, 'g6e.xlarge': 1.861, 'g6e.2xlarge': 2.242, 'g6e.12xlarge': 10.493,
  'g6e.48xlarge': 30.131, 'trn1.2xlarge': 1.344, 'trn1.32xlarge': 21.5,
};
const spotPrice = ({ instanceType, azId }) => {
  const listPrice = onDemand[instanceType];
  if (listPrice === undefined) return undefined;
  const spread = [...azId].reduce((n, c) => n + c.charCodeAt(0), 0) % 16;
  return Math.round(listPrice * (0.3 + spread / 100) * 10000) / 10000;
};

const moto = await startMotoServer();
const proxy = await startFaultProxy({
  target: moto.endpoint,
  serviceQuotas: { '*': { '*': sandboxQuotas } },
  spotPrices: spotPrice,
  azNames: rotatedAzNames(),
});
console.log(`[sandbox] moto_server ${moto.version} at ${moto.endpoint}, served to the fabric through ${proxy.endpoint}`);
const portal = spawn(
  'yarn',
  ['backstage-cli', 'repo', 'start', '--config', `${root}app-config.yaml`, '--config', `${root}app-config.sandbox.yaml`],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      APP_CONFIG_fabric_aws_endpoint: proxy.endpoint,
      // moto accepts any key; these never leave this machine.
      AWS_ACCESS_KEY_ID: 'sandbox',
      AWS_SECRET_ACCESS_KEY: 'sandbox',
      AWS_REGION: 'us-east-1',
    },
  },
);
const stop = async () => {
  portal.kill('SIGTERM');
  await proxy.stop();
  await moto.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
portal.on('exit', async code => {
  await proxy.stop();
  await moto.stop();
  process.exit(code ?? 0);
});
