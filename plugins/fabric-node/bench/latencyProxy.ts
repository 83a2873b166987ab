// An HTTP proxy in front of moto_server that makes it answer like a real AWS endpoint in
// time: every request waits a random 40–80 ms (a typical EC2 API round trip from another
// region) before it is forwarded, and every request is recorded, so a benchmark can count
// each cell's calls against its token bucket and rebuild each cell's chain of calls.
import { Agent, createServer, IncomingMessage, request as httpRequest, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** Requests carry their cell in this header (set by the benchmark's client middleware). */
export const CELL_HEADER = 'x-fabric-bench-cell';

export interface ProxiedRequest {
  /** `<account>/<region>`, or `-` for calls outside any cell (STS AssumeRole). */
  cell: string;
  /** `ec2:DescribeInstanceTypes`, `servicequotas:GetServiceQuota`, `sts:AssumeRole`… */
  operation: string;
  /** When the request reached the proxy, ms since the proxy started. */
  arrivedAt: number;
  /** When its answer was complete. */
  finishedAt: number;
  /** The injected latency. */
  delayMs: number;
  /** Whether the proxy answered (see `answerLocally`) instead of moto. */
  answeredLocally: boolean;
}

/** A canned answer for an operation moto does not implement. */
export interface LocalAnswer {
  contentType: string;
  body: string;
}

export interface LatencyProxyOptions {
  upstream: string;
  minDelayMs: number;
  maxDelayMs: number;
  /** Seed of the delays, so two runs draw the same sequence. */
  seed?: number;
  /** Returns an answer for operations the upstream lacks; `undefined` forwards. */
  answerLocally?: (operation: string, body: string) => LocalAnswer | undefined;
}

export interface LatencyProxy {
  endpoint: string;
  /** Every request since start (or the last `clear`), in arrival order. */
  requests: ProxiedRequest[];
  clear(): void;
  stop(): Promise<void>;
}

export async function startLatencyProxy(options: LatencyProxyOptions): Promise<LatencyProxy> {
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const random = seededRandom(options.seed ?? 42);
  const startedAt = performance.now();
  const proxy: LatencyProxy = { endpoint: '', requests: [], clear: () => {}, stop: async () => {} };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const arrivedAt = performance.now() - startedAt;
    const body = await readBody(req);
    const operation = operationOf(req, body.toString('utf8'));
    const delayMs = options.minDelayMs + random() * (options.maxDelayMs - options.minDelayMs);
    await new Promise(resolve => setTimeout(resolve, delayMs));
    const record = (answeredLocally: boolean) =>
      proxy.requests.push({
        cell: String(req.headers[CELL_HEADER] ?? '-'),
        operation,
        arrivedAt,
        finishedAt: performance.now() - startedAt,
        delayMs,
        answeredLocally,
      });

    const local = options.answerLocally?.(operation, body.toString('utf8'));
    if (local) {
      res.writeHead(200, { 'content-type': local.contentType, 'content-length': Buffer.byteLength(local.body) });
      res.end(local.body, () => record(true));
      return;
    }
    const forwarded = httpRequest(
      {
        agent,
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      answer => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', () => record(false));
      },
    );
    forwarded.on('error', error => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`latency proxy: ${error.message}`, () => record(false));
    });
    forwarded.end(body);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));

  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.clear = () => {
    proxy.requests = [];
  };
  proxy.stop = async () => {
    server.closeAllConnections();
    await new Promise<void>(resolve => server.close(() => resolve()));
    agent.destroy();
  };
  return proxy;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * The service and operation of an AWS request: JSON protocols name it in X-Amz-Target
 * (`ServiceQuotasV29.GetServiceQuota`), query protocols (EC2, STS) in the form body's Action.
 */
function operationOf(req: IncomingMessage, body: string): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    const [service, action] = target.split('.');
    return `${service.replace(/V\d+$/, '').toLowerCase()}:${action}`;
  }
  const action = new URLSearchParams(body).get('Action') ?? 'unknown';
  const credentialScope = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ''));
  return `${credentialScope?.[1] ?? 'unknown'}:${action}`;
}

/** mulberry32: a small, fast, seeded generator; the delays only need to be repeatable. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
