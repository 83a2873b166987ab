// @ts-check
'use strict';

// An HTTP proxy in front of moto_server that makes it behave more like a real AWS
// estate, for tests and the sandbox. Point the SDK clients' `endpoint` at it.
//
// 1. Faults, chosen by rules (see faultProxy.d.ts): InsufficientInstanceCapacity for a
//    type × AZ, throttling, 5xx, AccessDenied for one account, a hanging request, a reset
//    connection, and a response lost after moto acted. Each fault is answered in the wire
//    format of the service that was called (EC2 XML, STS XML, Service Quotas JSON), so the
//    real SDK surfaces it exactly as it would surface AWS's.
// 2. Service Quotas: moto knows no EC2 quota codes, so GetServiceQuota,
//    ListServiceQuotas and GetAWSDefaultServiceQuota are answered from a per-account ×
//    region table.
// 3. Calls moto lacks (DescribeCapacityReservations, GetSpotPlacementScores) are
//    answered with empty lists instead of moto's HTTP 500.
// 4. Spot prices (optional): moto's DescribeSpotPriceHistory has no rows for the
//    Linux/UNIX product the fabric asks for; the proxy prices moto's offerings instead.
// 5. Launches are idempotent by ClientToken (CreateFleet, RunInstances), as in AWS:
//    moto ignores the token, the proxy answers a repeat with the first answer.
// 6. Per-account AZ names: moto gives every account the same AZ-name ↔ AZ-ID map. AWS
//    does not (us-east-1a is a different zone in each account), so the proxy renames
//    zones per account: in responses it replaces moto's names with the account's, in
//    requests the account's names with moto's.
//
// moto does not check SigV4 signatures, so the proxy may rewrite request bodies and
// may send its own look-ups (DescribeSubnets, DescribeAvailabilityZones) with the
// caller's Authorization header: moto picks the account from the access key in it.
//
// Who is calling: the proxy learns accessKeyId → account by watching STS AssumeRole
// pass through (the RoleArn's account ↔ the AccessKeyId moto returns). Keys it has not
// seen belong to moto's default account, 123456789012.

const http = require('node:http');
const { randomUUID, createHash } = require('node:crypto');

const MOTO_DEFAULT_ACCOUNT = '123456789012';
const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

// What EC2 says for each fault kind; the status codes are AWS's.
const EC2_FAULTS = {
  'insufficient-capacity': { status: 500, code: 'InsufficientInstanceCapacity',
    message: 'We currently do not have sufficient capacity in the Availability Zone you requested.' },
  throttle: { status: 503, code: 'RequestLimitExceeded', message: 'Request limit exceeded.' },
  'server-error': { status: 500, code: 'InternalError', message: 'An internal error has occurred.' },
  unavailable: { status: 503, code: 'Unavailable', message: 'The server is overloaded and can\'t handle the request.' },
  'access-denied': { status: 403, code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.' },
};
const STS_FAULTS = {
  throttle: { status: 400, code: 'Throttling', message: 'Rate exceeded', type: 'Sender' },
  'server-error': { status: 500, code: 'InternalFailure', message: 'An internal error has occurred.', type: 'Receiver' },
  unavailable: { status: 503, code: 'ServiceUnavailable', message: 'Service unavailable.', type: 'Receiver' },
  'access-denied': { status: 403, code: 'AccessDenied', message: 'User is not authorized to perform: sts:AssumeRole', type: 'Sender' },
};
const JSON_FAULTS = {
  throttle: { status: 400, code: 'TooManyRequestsException', message: 'Rate exceeded' },
  'server-error': { status: 500, code: 'ServiceException', message: 'An internal error has occurred.' },
  unavailable: { status: 503, code: 'ServiceException', message: 'Service unavailable.' },
  'access-denied': { status: 400, code: 'AccessDeniedException', message: 'You do not have sufficient access to perform this action.' },
};

// EC2 calls moto 5.2 does not implement → the (empty) list element of their answer.
const MOTO_GAPS = {
  DescribeCapacityReservations: 'capacityReservationSet',
  GetSpotPlacementScores: 'spotPlacementScoreSet',
};

// Quota codes the fabric reads, so ListServiceQuotas can name them.
const KNOWN_QUOTAS = {
  'L-417A185B': ['ec2', 'Running On-Demand P instances'],
  'L-DB2E81BA': ['ec2', 'Running On-Demand G and VT instances'],
  'L-6E869C2A': ['ec2', 'Running On-Demand DL instances'],
  'L-2C3B7624': ['ec2', 'Running On-Demand Trn instances'],
  'L-1945791B': ['ec2', 'Running On-Demand Inf instances'],
  'L-1216C47A': ['ec2', 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances'],
  'L-C4BD4855': ['ec2', 'All P5 Spot Instance Requests'],
  'L-7212CCBC': ['ec2', 'All P4, P3 and P2 Spot Instance Requests'],
  'L-3819A6DF': ['ec2', 'All G and VT Spot Instance Requests'],
  'L-85EED4F7': ['ec2', 'All DL Spot Instance Requests'],
  'L-6B0D517C': ['ec2', 'All Trn Spot Instance Requests'],
  'L-B5D1601B': ['ec2', 'All Inf Spot Instance Requests'],
  'L-34B43A08': ['ec2', 'All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests'],
  'L-7E9ECCDB': ['vpc', 'Active VPC peering connections per VPC'],
  'L-93826ACB': ['vpc', 'Routes per route table'],
};
const SERVICE_NAMES = { ec2: 'Amazon Elastic Compute Cloud (Amazon EC2)', vpc: 'Amazon Virtual Private Cloud (Amazon VPC)' };

const xmlEscape = (/** @type {string} */ s) => String(s).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const asList = (/** @type {any} */ v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

/**
 * Account-view AZ names, rotated per account: the n-th account (by a hash of its id) sees
 * moto's names shifted by n, so the same AZ-ID has a different name in most accounts.
 * Use as `azNames: rotatedAzNames()`; `except` keeps moto's map for those accounts.
 * @param {{ except?: string[] }} [options]
 * @returns {import('./faultProxy').AzNamesFunction}
 */
function rotatedAzNames({ except = [] } = {}) {
  return (accountId, _region, zones) => {
    if (except.includes(accountId) || zones.length < 2) return undefined;
    const byName = [...zones].sort((a, b) => a.zoneName.localeCompare(b.zoneName));
    const shift = 1 + (createHash('sha256').update(accountId).digest().readUInt32BE(0) % (byName.length - 1));
    /** @type {Record<string, string>} */
    const names = {};
    byName.forEach((z, i) => { names[z.zoneId] = byName[(i + shift) % byName.length].zoneName; });
    return names;
  };
}

/** @param {string | undefined} auth */
function parseCredential(auth) {
  const m = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth || '');
  return m ? { accessKeyId: m[1], region: m[2], service: m[3] } : { accessKeyId: undefined, region: undefined, service: undefined };
}

/** @param {import('./faultProxy').StartFaultProxyOptions} options */
async function startFaultProxy({
  target, port = 0, rules = [], serviceQuotas = {}, awsDefaultQuotas = {}, azNames, spotPrices, answerMotoGaps = true,
  log = () => {},
}) {
  const targetUrl = new URL(target);
  /** @type {Map<string, string>} access key id → account id */
  const keyAccounts = new Map();
  /** @type {import('./faultProxy').FaultRule[]} */
  let activeRules = [];
  /** @type {import('./faultProxy').ProxyCall[]} */
  let calls = [];
  let quotas = serviceQuotas;
  let zoneNaming = azNames;
  /** @type {Map<string, { zoneName: string, zoneId: string }[]>} region → moto's zones */
  const motoZones = new Map();
  /** @type {Map<string, { motoName: string, zoneId: string }>} account/subnetId → zone */
  const subnetZones = new Map();
  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set();
  /**
   * CreateFleet / RunInstances answers by account/region/action/ClientToken: moto ignores
   * the token, AWS answers a repeated call with the first call's result.
   * @type {Map<string, { fingerprint: string, status: number, text: string }>}
   */
  const idempotent = new Map();
  /** @type {Set<() => void>} requests held open by a `timeout` fault */
  const held = new Set();

  function setRules(/** @type {import('./faultProxy').FaultRule[]} */ next) {
    for (const r of next) {
      if (r.fault !== 'insufficient-capacity' && (r.instanceType || r.azId || r.azName || r.capacityType)) {
        throw new Error(`fault proxy: instanceType/azId/azName/capacityType only narrow 'insufficient-capacity' rules (got ${r.fault})`);
      }
    }
    // Each rule keeps its own remaining count; `once` is count 1.
    activeRules = next.map((r) => ({ ...r, count: r.once ? 1 : r.count }));
  }
  setRules(rules);

  const accountOf = (/** @type {string | undefined} */ accessKeyId) =>
    (accessKeyId && keyAccounts.get(accessKeyId)) || MOTO_DEFAULT_ACCOUNT;

  // ---- talking to moto ---------------------------------------------------------------

  /**
   * @param {http.IncomingHttpHeaders} headers @param {string} method @param {string} url @param {Buffer} body
   * @returns {Promise<{ status: number, headers: http.IncomingHttpHeaders, body: Buffer }>}
   */
  function forward(method, url, headers, body) {
    return new Promise((resolve, reject) => {
      const h = { ...headers, host: targetUrl.host, 'content-length': String(body.length) };
      delete h['transfer-encoding'];
      delete h['accept-encoding']; // keep moto's answers plain text so they can be rewritten
      const req = http.request({ hostname: targetUrl.hostname, port: targetUrl.port, method, path: url, headers: h }, (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode || 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  // A query-protocol call of the proxy's own, in the caller's account and region.
  /** @param {http.IncomingHttpHeaders} headers @param {Record<string, string>} params */
  async function ownEc2Call(headers, params) {
    const body = Buffer.from(new URLSearchParams({ ...params, Version: '2016-11-15' }).toString());
    /** @type {Record<string, string>} */
    const h = { authorization: headers.authorization || '', 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
    if (headers['x-amz-security-token']) h['x-amz-security-token'] = /** @type {string} */ (headers['x-amz-security-token']);
    const r = await forward('POST', '/', h, body);
    return r.body.toString('utf8');
  }

  /** moto's zones in a region (the same for every account). */
  async function motoZonesIn(/** @type {string} */ region, /** @type {http.IncomingHttpHeaders} */ headers) {
    let zones = motoZones.get(region);
    if (!zones) {
      const xml = await ownEc2Call(headers, { Action: 'DescribeAvailabilityZones' });
      zones = [...xml.matchAll(/<zoneName>([^<]+)<\/zoneName>[\s\S]*?<zoneId>([^<]+)<\/zoneId>/g)]
        .map((m) => ({ zoneName: m[1], zoneId: m[2] }));
      if (zones.length) motoZones.set(region, zones);
    }
    return zones;
  }

  /**
   * The account's view of a region's zones: two maps between moto's names and the
   * account's names (identity when no naming is configured for the account).
   */
  async function zoneViews(/** @type {string} */ account, /** @type {string} */ region, /** @type {http.IncomingHttpHeaders} */ headers) {
    const zones = await motoZonesIn(region, headers);
    const named = typeof zoneNaming === 'function'
      ? zoneNaming(account, region, zones)
      : zoneNaming?.[account]?.[region];
    /** @type {Map<string, string>} */ const toAccount = new Map();
    /** @type {Map<string, string>} */ const toMoto = new Map();
    /** @type {Map<string, string>} */ const idOfMotoName = new Map();
    for (const z of zones) {
      const accountName = named?.[z.zoneId] || z.zoneName;
      toAccount.set(z.zoneName, accountName);
      toMoto.set(accountName, z.zoneName);
      idOfMotoName.set(z.zoneName, z.zoneId);
    }
    return { toAccount, toMoto, idOfMotoName, renamed: !!named };
  }

  // ---- the request pipeline ----------------------------------------------------------

  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
  async function handle(req, res) {
    /** @type {Buffer[]} */
    const chunks = [];
    for await (const c of req) chunks.push(c);
    let body = Buffer.concat(chunks);
    const url = req.url || '/';
    const headers = req.headers;
    const cred = parseCredential(headers.authorization);
    const target = /** @type {string | undefined} */ (headers['x-amz-target']);
    const isJson = !!target;
    const isForm = !isJson && (headers['content-type'] || '').includes('x-www-form-urlencoded');
    const params = isForm ? new URLSearchParams(body.toString('utf8')) : new URL(url, 'http://x').searchParams;
    const action = isJson ? /** @type {string} */ (target).split('.').pop() || '' : params.get('Action') || '';
    const service = cred.service || (isJson ? String(target).split('.')[0].toLowerCase() : 'ec2');
    const region = cred.region || 'us-east-1';
    // AssumeRole is attributed to the account whose role is assumed: that is the account
    // an "access denied for account X" rule means.
    const roleAccount = action === 'AssumeRole' ? /:iam::(\d{12}):/.exec(params.get('RoleArn') || '')?.[1] : undefined;
    const account = roleAccount || accountOf(cred.accessKeyId);
    /** @type {import('./faultProxy').ProxyCall} */
    const call = { service, action, account, region };
    // Node join (the stand-in kubelet) marks its calls exempt: faults and the call log
    // are about the fabric's own calls.
    const exempt = headers['x-fault-proxy-exempt'] === '1';
    if (!exempt) calls.push(call);

    const views = service === 'ec2' && cred.accessKeyId ? await zoneViews(account, region, headers) : undefined;
    // Requests carry the account's AZ names; moto knows its own.
    if (views?.renamed && isForm) {
      for (const [k, v] of [...params]) if (views.toMoto.has(v)) params.set(k, /** @type {string} */ (views.toMoto.get(v)));
      body = Buffer.from(params.toString());
    }

    // The insufficient-capacity rule (if any) that holds a launch of this type × zone × capacity type.
    const matching = (/** @type {{ instanceType?: string, azId?: string, azName?: string, capacityType?: string }} */ extra = {}) => activeRules.find((r) =>
      !exempt && r.fault === 'insufficient-capacity' && (r.count === undefined || r.count > 0)
      && matches(r.account, account) && matches(r.region, region) && matches(r.service, service)
      && matches(r.action, action)
      && (extra.instanceType === undefined || matches(r.instanceType, extra.instanceType))
      && (extra.azId === undefined || matches(r.azId, extra.azId))
      && (extra.azName === undefined || matches(r.azName, extra.azName))
      && (extra.capacityType === undefined || matches(r.capacityType, extra.capacityType)));
    const spend = (/** @type {import('./faultProxy').FaultRule} */ r) => { if (r.count !== undefined) r.count -= 1; };

    // Request-level faults. Insufficient capacity only concerns launches and is decided
    // per override (CreateFleet) or per request (RunInstances) below.
    const requestRule = !exempt && activeRules.find((r) =>
      (r.count === undefined || r.count > 0) && r.fault !== 'insufficient-capacity'
      && matches(r.account, account) && matches(r.region, region) && matches(r.service, service) && matches(r.action, action));
    // lose-response runs the call as usual (so a launch's answer is remembered under its
    // ClientToken, as AWS remembers it) and drops the answer at the end.
    const lose = !!requestRule && requestRule.fault === 'lose-response';
    if (requestRule) {
      spend(requestRule);
      call.fault = requestRule.fault;
      log(`fault proxy: ${requestRule.fault} for ${service}:${action} in ${account}/${region}`);
      if (!lose) return answerFault(requestRule, { res, req, service, isJson });
    }

    // Calls moto does not implement (it answers 500) that an estate without such things
    // answers with an empty list.
    const emptyAnswer = service === 'ec2' && answerMotoGaps && MOTO_GAPS[/** @type {'GetSpotPlacementScores'} */ (action)];
    if (emptyAnswer) {
      if (lose) return req.socket.destroy();
      return send(res, 200, { 'content-type': 'text/xml;charset=UTF-8' },
        `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_NS}"><requestId>${randomUUID()}</requestId>`
        + `<${emptyAnswer}/></${action}Response>`);
    }

    if (service === 'servicequotas' && isJson) {
      const answered = answerServiceQuota(action, JSON.parse(body.toString('utf8') || '{}'), account, region);
      if (answered && lose) return req.socket.destroy();
      if (answered) return send(res, answered.status, { 'content-type': 'application/x-amz-json-1.1' }, JSON.stringify(answered.body));
    }

    // A repeated launch with the same ClientToken: the first call's answer, or AWS's
    // error when the parameters differ.
    const clientToken = service === 'ec2' && (action === 'CreateFleet' || action === 'RunInstances') && isForm
      ? params.get('ClientToken') : null;
    const tokenKey = clientToken ? `${account}/${region}/${action}/${clientToken}` : '';
    const fingerprint = clientToken ? [...params].filter(([k]) => k !== 'ClientToken').map(([k, v]) => `${k}=${v}`).sort().join('&') : '';
    const earlier = tokenKey ? idempotent.get(tokenKey) : undefined;
    if (earlier) {
      if (earlier.fingerprint !== fingerprint) {
        return answerFault({ fault: 'custom', status: 400, code: 'IdempotentParameterMismatch',
          message: `The client token ${clientToken} was used before with other parameters.` },
        { res, req, service, isJson });
      }
      // A retry whose answer is lost too: the caller still cannot know the launch happened.
      if (lose) return req.socket.destroy();
      return send(res, earlier.status, { 'content-type': 'text/xml;charset=UTF-8' }, earlier.text);
    }

    /** @type {string[]} error items added to a CreateFleet answer */
    let fleetErrors = [];
    if (service === 'ec2' && action === 'CreateFleet') {
      const cut = await cutFailingOverrides(params, headers, account, views, matching, spend);
      fleetErrors = cut.errors;
      if (cut.errors.length) call.fault = 'insufficient-capacity';
      if (cut.remaining === 0) {
        // Nothing left to launch: AWS still answers 200 with a fleet id, the errors and no instances.
        const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<CreateFleetResponse xmlns="${EC2_NS}"><requestId>${randomUUID()}</requestId>`
          + `<fleetId>fleet-${randomUUID()}</fleetId>`
          + `<errorSet>${fleetErrors.join('')}</errorSet><fleetInstanceSet/></CreateFleetResponse>`;
        const answer = renameZones(xml, views);
        if (tokenKey) idempotent.set(tokenKey, { fingerprint, status: 200, text: answer });
        if (lose) return req.socket.destroy();
        return send(res, 200, { 'content-type': 'text/xml;charset=UTF-8' }, answer);
      }
      body = Buffer.from(params.toString());
    } else if (service === 'ec2' && action === 'DescribeSpotPriceHistory' && spotPrices && isForm) {
      // moto returns no rows under the product-description filter the fabric sends; the
      // rows it returns without it are its offerings (type × zone), priced below.
      for (const [k, v] of [...params]) {
        const n = /^Filter\.(\d+)\.Name$/.exec(k)?.[1];
        const values = [...params].filter(([key]) => key.startsWith(`Filter.${n}.Value.`)).map(([, value]) => value);
        if (n && v === 'product-description' && values.some((d) => d.startsWith('Linux/UNIX'))) {
          for (const key of [...params.keys()]) if (key.startsWith(`Filter.${n}.`)) params.delete(key);
        }
      }
      body = Buffer.from(params.toString());
    } else if (service === 'ec2' && action === 'RunInstances') {
      const azName = params.get('Placement.AvailabilityZone') || (await zoneOfSubnet(params.get('SubnetId'), account, headers))?.motoName;
      const rule = matching({
        instanceType: params.get('InstanceType') || 'm1.small',
        // An unknown zone matches only rules that name no zone.
        azName: (azName && (views?.toAccount.get(azName) || azName)) || '',
        azId: (azName && views?.idOfMotoName.get(azName)) || '',
        capacityType: params.get('InstanceMarketOptions.MarketType') === 'spot' ? 'spot' : 'on-demand',
      });
      const wanted = Number(params.get('MinCount') || 1);
      if (rule && rule.available !== undefined && rule.available >= wanted) {
        rule.available -= wanted; // the pool has room: moto launches
      } else if (rule) {
        spend(rule);
        call.fault = rule.fault;
        return answerFault(rule, { res, req, service, isJson });
      }
    }

    let upstream;
    try {
      upstream = await forward(req.method || 'POST', url, headers, body);
    } catch (err) {
      if (lose) return req.socket.destroy();
      return send(res, 502, { 'content-type': 'text/plain' }, `fault proxy: moto unreachable: ${/** @type {Error} */ (err).message}`);
    }
    let text = upstream.body.toString('utf8');

    if (service === 'sts' && action === 'AssumeRole' && roleAccount) {
      const key = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(text)?.[1];
      if (key) keyAccounts.set(key, roleAccount);
    }
    if (fleetErrors.length) {
      text = text.includes('<errorSet>')
        ? text.replace('<errorSet>', `<errorSet>${fleetErrors.join('')}`)
        : text.replace('</CreateFleetResponse>', `<errorSet>${fleetErrors.join('')}</errorSet></CreateFleetResponse>`);
    }
    if (action === 'DescribeSpotPriceHistory' && spotPrices && views && upstream.status === 200) {
      text = priceSpotRows(text, account, region, views);
    }
    text = renameZones(text, views);
    if (tokenKey && upstream.status === 200) idempotent.set(tokenKey, { fingerprint, status: 200, text });
    if (lose) return req.socket.destroy(); // moto acted; the caller never hears of it
    const outHeaders = { ...upstream.headers };
    delete outHeaders['content-length'];
    delete outHeaders['transfer-encoding'];
    send(res, upstream.status, outHeaders, text);
  }

  /**
   * Gives each of moto's spot-price rows the price `spotPrices` names for its type and
   * AZ-ID (rows without one are dropped), as Linux/UNIX rows stamped now.
   * @param {string} text @param {string} account @param {string} region @param {Awaited<ReturnType<typeof zoneViews>>} views
   */
  function priceSpotRows(text, account, region, views) {
    const now = new Date().toISOString();
    return text.replace(/<item>([\s\S]*?)<\/item>/g, (whole, row) => {
      const instanceType = /<instanceType>([^<]+)</.exec(row)?.[1];
      const motoName = /<availabilityZone>([^<]+)</.exec(row)?.[1];
      if (!instanceType || !motoName) return whole;
      const azId = views.idOfMotoName.get(motoName) || '';
      const price = typeof spotPrices === 'function'
        ? spotPrices({ account, region, instanceType, azId, azName: views.toAccount.get(motoName) || motoName })
        : spotPrices?.[instanceType];
      if (price === undefined) return '';
      return whole
        .replace(/<spotPrice>[^<]*</, `<spotPrice>${Number(price).toFixed(6)}<`)
        .replace(/<productDescription>[^<]*</, '<productDescription>Linux/UNIX<')
        .replace(/<timestamp>[^<]*</, `<timestamp>${now}<`);
    });
  }

  // Replaces moto's AZ names with the account's wherever one is an element's whole text.
  /** @param {string} text @param {Awaited<ReturnType<typeof zoneViews>> | undefined} views */
  function renameZones(text, views) {
    if (!views?.renamed) return text;
    return text.replace(/>([a-z]{2}-[a-z0-9-]+[a-z])</g, (whole, name) => {
      const renamed = views.toAccount.get(name);
      return renamed ? `>${renamed}<` : whole;
    });
  }

  /** @param {string | null} subnetId @param {string} account @param {http.IncomingHttpHeaders} headers */
  async function zoneOfSubnet(subnetId, account, headers) {
    if (!subnetId) return undefined;
    const key = `${account}/${subnetId}`;
    if (!subnetZones.has(key)) {
      const xml = await ownEc2Call(headers, { Action: 'DescribeSubnets', 'SubnetId.1': subnetId });
      const motoName = /<availabilityZone>([^<]+)<\/availabilityZone>/.exec(xml)?.[1];
      const zoneId = /<availabilityZoneId>([^<]+)<\/availabilityZoneId>/.exec(xml)?.[1];
      if (motoName && zoneId) subnetZones.set(key, { motoName, zoneId });
    }
    return subnetZones.get(key);
  }

  /**
   * CreateFleet: every override an insufficient-capacity rule matches is removed from the
   * request and reported in `errorSet`, the way an instant fleet reports the pools it
   * could not fill, so moto launches on the overrides that are left.
   *
   * A rule with `available: n` is a pool with n instances left rather than none:
   * - when every override left is in that pool (a gang: one type, one zone), the fleet
   *   gets what the pool has: nothing (and the error) if that is below the request's
   *   MinTargetCapacity, else min(n, target) instances plus an error for the shortfall;
   * - when other overrides are left too and the pool is short, it is left out like an
   *   empty one (moto cannot split a fleet across overrides);
   * - n goes down by what moto launches from the pool.
   * @param {URLSearchParams} params @param {http.IncomingHttpHeaders} headers @param {string} account
   * @param {Awaited<ReturnType<typeof zoneViews>> | undefined} views
   * @param {(extra: any) => import('./faultProxy').FaultRule | undefined} matching
   * @param {(r: import('./faultProxy').FaultRule) => void} spend
   */
  async function cutFailingOverrides(params, headers, account, views, matching, spend) {
    const capacityType = params.get('TargetCapacitySpecification.DefaultTargetCapacityType') || 'on-demand';
    const target = Number(params.get('TargetCapacitySpecification.TotalTargetCapacity') || 1);
    const minTarget = Number(params.get(`${capacityType === 'spot' ? 'SpotOptions' : 'OnDemandOptions'}.MinTargetCapacity`) || 0);
    /** @type {{ c: number, fields: Map<string, string>, motoName?: string, rule?: import('./faultProxy').FaultRule }[]} */
    const all = [];
    /** @type {Set<number>} configs with no overrides at all (moto launches the template as is) */
    const bare = new Set();
    for (let c = 1; params.has(`LaunchTemplateConfigs.${c}.LaunchTemplateSpecification.LaunchTemplateId`)
      || params.has(`LaunchTemplateConfigs.${c}.LaunchTemplateSpecification.LaunchTemplateName`); c++) {
      const prefix = `LaunchTemplateConfigs.${c}.Overrides.`;
      /** @type {Map<number, Map<string, string>>} override index → its fields */
      const overrides = new Map();
      for (const [k, v] of [...params]) {
        if (!k.startsWith(prefix)) continue;
        const [n, ...field] = k.slice(prefix.length).split('.');
        if (!overrides.has(Number(n))) overrides.set(Number(n), new Map());
        /** @type {Map<string, string>} */ (overrides.get(Number(n))).set(field.join('.'), v);
        params.delete(k);
      }
      if (overrides.size === 0) bare.add(c);
      for (const n of [...overrides.keys()].sort((a, b) => a - b)) {
        const fields = /** @type {Map<string, string>} */ (overrides.get(n));
        const motoName = fields.get('AvailabilityZone') || (await zoneOfSubnet(fields.get('SubnetId') || null, account, headers))?.motoName;
        const rule = matching({
          instanceType: fields.get('InstanceType') || '',
          azName: motoName ? (views?.toAccount.get(motoName) || motoName) : '',
          azId: motoName ? (views?.idOfMotoName.get(motoName) || '') : '',
          capacityType,
        });
        all.push({ c, fields, motoName, rule });
      }
    }

    /** @type {Set<import('./faultProxy').FaultRule>} */ const fired = new Set();
    /** @type {string[]} */ const errors = [];
    const fail = (/** @type {typeof all[number]} */ o) => {
      if (o.rule) fired.add(o.rule);
      errors.push(fleetErrorItem(params, o.c, o.fields, capacityType, o.motoName));
    };
    let kept = all.filter((o) => {
      if (o.rule && (o.rule.available === undefined || o.rule.available <= 0)) { fail(o); return false; }
      return true;
    });
    const pools = new Set(kept.map((o) => o.rule));
    if (kept.length && pools.size === 1 && kept[0].rule && bare.size === 0) {
      // Every override left draws on one pool.
      const pool = kept[0].rule;
      const available = /** @type {number} */ (pool.available);
      if (available < target) {
        if (available < minTarget) {
          kept.forEach(fail);
          kept = [];
        } else {
          for (const k of ['TotalTargetCapacity', 'SpotTargetCapacity', 'OnDemandTargetCapacity']) {
            const key = `TargetCapacitySpecification.${k}`;
            if (params.has(key)) params.set(key, String(Math.min(Number(params.get(key)), available)));
          }
          fail(kept[0]);
          pool.available = 0;
        }
      } else {
        pool.available = available - target;
      }
    } else {
      kept = kept.filter((o) => {
        if (o.rule && /** @type {number} */ (o.rule.available) < target) { fail(o); return false; }
        return true;
      });
      // moto launches everything on the first override left.
      const first = kept[0];
      if (first?.rule) first.rule.available = /** @type {number} */ (first.rule.available) - target;
    }
    fired.forEach(spend);
    /** @type {Map<number, number>} */ const renumber = new Map();
    for (const o of kept) {
      const i = (renumber.get(o.c) || 0) + 1;
      renumber.set(o.c, i);
      for (const [f, v] of o.fields) params.set(`LaunchTemplateConfigs.${o.c}.Overrides.${i}.${f}`, v);
    }
    return { errors, remaining: kept.length + bare.size };
  }

  /** @param {URLSearchParams} params @param {number} c @param {Map<string, string>} o @param {string} lifecycle @param {string | undefined} motoName */
  function fleetErrorItem(params, c, o, lifecycle, motoName) {
    const spec = `LaunchTemplateConfigs.${c}.LaunchTemplateSpecification.`;
    const el = (/** @type {string} */ name, /** @type {string | null | undefined} */ v) => (v ? `<${name}>${xmlEscape(v)}</${name}>` : '');
    return '<item><launchTemplateAndOverrides><launchTemplateSpecification>'
      + el('launchTemplateId', params.get(`${spec}LaunchTemplateId`)) + el('launchTemplateName', params.get(`${spec}LaunchTemplateName`))
      + el('version', params.get(`${spec}Version`)) + '</launchTemplateSpecification><overrides>'
      + el('instanceType', o.get('InstanceType')) + el('subnetId', o.get('SubnetId')) + el('availabilityZone', motoName)
      + el('priority', o.get('Priority')) + el('weightedCapacity', o.get('WeightedCapacity'))
      + `</overrides></launchTemplateAndOverrides><lifecycle>${xmlEscape(lifecycle)}</lifecycle>`
      + `<errorCode>InsufficientInstanceCapacity</errorCode><errorMessage>${EC2_FAULTS['insufficient-capacity'].message}</errorMessage></item>`;
  }

  /**
   * Service Quotas from the table. GetServiceQuota with no value → NoSuchResourceException
   * (what AWS answers when the account has no applied value); GetAWSDefaultServiceQuota
   * from awsDefaultQuotas. Other Service Quotas calls go to moto.
   * @param {string} action @param {any} input @param {string} account @param {string} region
   */
  function answerServiceQuota(action, input, account, region) {
    const table = { ...quotas['*']?.['*'], ...quotas['*']?.[region], ...quotas[account]?.['*'], ...quotas[account]?.[region] };
    const quota = (/** @type {string} */ code, /** @type {number} */ value, /** @type {string} */ serviceCode) => ({
      ServiceCode: serviceCode, ServiceName: SERVICE_NAMES[/** @type {'ec2'} */ (serviceCode)] || serviceCode,
      QuotaArn: `arn:aws:servicequotas:${region}:${account}:${serviceCode}/${code}`,
      QuotaCode: code, QuotaName: KNOWN_QUOTAS[/** @type {'L-417A185B'} */ (code)]?.[1] || code,
      Value: value, Unit: 'None', Adjustable: true, GlobalQuota: false,
    });
    const serviceOf = (/** @type {string} */ code) => KNOWN_QUOTAS[/** @type {'L-417A185B'} */ (code)]?.[0] || 'ec2';
    const noSuch = (/** @type {string} */ code) => ({ status: 400, body: {
      __type: 'NoSuchResourceException', message: `The request failed because the specified service quota ${code} does not exist.` } });
    if (action === 'GetServiceQuota') {
      const v = table[input.QuotaCode];
      return v === undefined ? noSuch(input.QuotaCode) : { status: 200, body: { Quota: quota(input.QuotaCode, v, input.ServiceCode) } };
    }
    if (action === 'GetAWSDefaultServiceQuota') {
      const v = awsDefaultQuotas[input.QuotaCode];
      return v === undefined ? noSuch(input.QuotaCode) : { status: 200, body: { Quota: quota(input.QuotaCode, v, input.ServiceCode) } };
    }
    if (action === 'ListServiceQuotas') {
      const list = Object.entries(table).filter(([code]) => serviceOf(code) === input.ServiceCode)
        .map(([code, v]) => quota(code, v, input.ServiceCode));
      return { status: 200, body: { Quotas: list } };
    }
    return undefined;
  }

  /**
   * @param {import('./faultProxy').FaultRule} rule
   * @param {{ res: http.ServerResponse, req: http.IncomingMessage, service: string, isJson: boolean }} ctx
   */
  async function answerFault(rule, { res, req, service, isJson }) {
    const kind = rule.fault;
    if (kind === 'reset') return req.socket.destroy();
    if (kind === 'timeout') {
      // Hold the request until the client gives up (or the proxy stops).
      await new Promise((resolve) => {
        const release = () => { held.delete(release); resolve(undefined); };
        held.add(release);
        req.socket.once('close', release);
        if (rule.holdMs) setTimeout(release, rule.holdMs).unref();
      });
      if (!res.destroyed) req.socket.destroy();
      return;
    }
    const requestId = randomUUID();
    if (isJson) {
      const f = rule.status ? { status: rule.status, code: rule.code || 'ServiceException', message: rule.message || '' }
        : JSON_FAULTS[/** @type {'throttle'} */ (kind)] || JSON_FAULTS['server-error'];
      return send(res, f.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId, 'x-amzn-errortype': f.code },
        JSON.stringify({ __type: f.code, message: rule.message || f.message }));
    }
    if (service === 'sts' || service === 'iam') {
      const f = rule.status ? { status: rule.status, code: rule.code || 'InternalFailure', message: rule.message || '', type: rule.status < 500 ? 'Sender' : 'Receiver' }
        : STS_FAULTS[/** @type {'throttle'} */ (kind)] || STS_FAULTS['server-error'];
      return send(res, f.status, { 'content-type': 'text/xml' },
        `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>${f.type}</Type><Code>${f.code}</Code>`
        + `<Message>${xmlEscape(rule.message || f.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
    }
    const f = rule.status ? { status: rule.status, code: rule.code || 'InternalError', message: rule.message || '' }
      : EC2_FAULTS[/** @type {'throttle'} */ (kind)] || EC2_FAULTS['server-error'];
    return send(res, f.status, { 'content-type': 'text/xml;charset=UTF-8' },
      `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${f.code}</Code><Message>${xmlEscape(rule.message || f.message)}</Message></Error></Errors>`
      + `<RequestID>${requestId}</RequestID></Response>`);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      log(`fault proxy: ${/** @type {Error} */ (err).stack}`);
      if (!res.headersSent) send(res, 502, { 'content-type': 'text/plain' }, `fault proxy error: ${/** @type {Error} */ (err).message}`);
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(undefined));
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());

  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    setRules,
    rules: () => activeRules.map((r) => ({ ...r })),
    setServiceQuotas: (/** @type {import('./faultProxy').ServiceQuotaTable} */ table) => { quotas = table; },
    setAzNames: (/** @type {import('./faultProxy').StartFaultProxyOptions['azNames']} */ naming) => { zoneNaming = naming; },
    accountOf,
    rememberAccessKey: (/** @type {string} */ accessKeyId, /** @type {string} */ accountId) => { keyAccounts.set(accessKeyId, accountId); },
    calls: () => [...calls],
    clearCalls: () => { calls = []; },
    async stop() {
      for (const release of [...held]) release();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}

/** @param {string | string[] | undefined} wanted @param {string} actual */
function matches(wanted, actual) {
  const list = asList(wanted);
  return !list || list.includes(actual);
}

/** @param {http.ServerResponse} res @param {number} status @param {Record<string, any>} headers @param {string} text */
function send(res, status, headers, text) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

module.exports = { startFaultProxy, rotatedAzNames, MOTO_DEFAULT_ACCOUNT };
