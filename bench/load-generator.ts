import { fork } from 'child_process';
import { Agent, request } from 'http';

/**
 * An HTTP load generator in its own process, so the server under test does not share its event loop
 * with the client. Requests go over keep-alive connections (one per client); each request's body is
 * made from a template whose `%ID%` is replaced by a unique id.
 */
export interface LoadPlan {
  url: string;
  /** JSON body; every `%ID%` becomes `<tag>-<n>`. */
  body: string;
  /** The Authorization header every request carries (an API key). */
  authorization: string;
  tag: string;
  seconds: number;
  /** Concurrent connections. */
  clients: number;
  /**
   * Open loop at this many requests/s: each request has a due time and its latency is measured from
   * then, so queueing in the client (all connections busy) counts. Omitted: closed loop, each client
   * sends its next request when the previous one answered.
   */
  rate?: number;
  /** A client that waits longer than this for its answer gives up and closes the connection. */
  timeoutMs?: number;
}

export interface LoadResult {
  /** Requests answered per second over the whole run. */
  perSecond: number;
  /** Latencies in ms, ascending. */
  latencies: number[];
  /** Answers that were not HTTP 200 or carried GraphQL errors (other than OVERLOADED). */
  failures: number;
  firstFailure: string | null;
  /** Requests refused with OVERLOADED (retryable: the intake limit). */
  refused: number;
  /** Requests the client gave up on (`timeoutMs`). */
  abandoned: number;
  /** Requests sent. */
  sent: number;
  /** The client ids of the orders answered `accepted: true` (for placeOrder bodies). */
  acceptedIds: string[];
  /** CPU time the generator itself used, ms. */
  cpuMs: number;
}

/** Runs one plan in a fresh child process and returns what it measured. */
export function runLoad(plan: LoadPlan): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (result) => {
      resolve(result as LoadResult);
      child.kill();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0 && code !== null) reject(new Error(`load generator exited with ${code}`));
    });
    child.send(plan);
  });
}

function generate(plan: LoadPlan): Promise<LoadResult> {
  const target = new URL(plan.url);
  const agent = new Agent({ keepAlive: true, maxSockets: plan.clients });
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | null = null;
  let refused = 0;
  let abandoned = 0;
  let sequence = 0;
  const acceptedIds: string[] = [];
  const cpuAtStart = process.cpuUsage();

  const send = (): Promise<void> =>
    new Promise((done) => {
      const id = `${plan.tag}-${sequence++}`;
      const body = plan.body.replaceAll('%ID%', id);
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: plan.authorization,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            if (text.includes('"OVERLOADED"')) refused++;
            else if (res.statusCode !== 200 || text.includes('"errors"')) {
              failures++;
              firstFailure ??= text.slice(0, 500);
            } else if (text.includes('"accepted":true')) acceptedIds.push(id);
            done();
          });
        },
      );
      req.on('error', (error) => {
        if (req.destroyed && timedOut) return;
        failures++;
        firstFailure ??= String(error);
        done();
      });
      let timedOut = false;
      if (plan.timeoutMs !== undefined) {
        req.setTimeout(plan.timeoutMs, () => {
          timedOut = true;
          abandoned++;
          req.destroy();
          done();
        });
      }
      req.end(body);
    });

  const started = performance.now();
  const until = started + plan.seconds * 1000;
  const finish = (): LoadResult => {
    agent.destroy();
    const cpu = process.cpuUsage(cpuAtStart);
    return {
      perSecond: latencies.length / ((performance.now() - started) / 1000),
      latencies: latencies.sort((a, b) => a - b),
      failures,
      firstFailure,
      refused,
      abandoned,
      sent: sequence,
      acceptedIds,
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
  };

  if (plan.rate === undefined) {
    return Promise.all(
      Array.from({ length: plan.clients }, async () => {
        while (performance.now() < until) {
          const t0 = performance.now();
          await send();
          latencies.push(performance.now() - t0);
        }
      }),
    ).then(finish);
  }

  // Open loop: request i is due at started + i/rate. A connection takes the next due request when it
  // is free; if every connection is busy the request waits, and that wait is part of its latency.
  const rate = plan.rate;
  const total = Math.round(rate * plan.seconds);
  let next = 0;
  return Promise.all(
    Array.from({ length: plan.clients }, async () => {
      while (next < total) {
        const due = started + (next++ * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        await send();
        latencies.push(performance.now() - due);
      }
    }),
  ).then(finish);
}

if (require.main === module) {
  process.once('message', (plan) => {
    void generate(plan as LoadPlan).then((result) => process.send?.(result));
  });
}
