/**
 * The query bench's HTTP clients, in a process of their own (issue 16: "50 concurrent clients
 * from a separate process"): clients in the server's process parse every answer on the server's
 * event loop and so slow the server they measure. `clientsElsewhere` forks this module, which
 * runs `clients` loops of GET `url` for `seconds` and sends back latencies and statuses. Every
 * answer's status is checked and its body read whole, so a 503 counts as one and never breaks the
 * bench. Each client decodes and parses its first 200 answer only, to count its points, and checks
 * that every later one has the same length as sent: decoding and parsing every answer (300 KB of
 * JSON for the day's points) cost the clients more CPU than the server spent on a cached answer,
 * on a machine whose cores the server shares with them, so the bench measured its own clients
 * (50 real clients decode on 50 machines of their own). The clients use node:http with one
 * kept-alive connection each: fetch (undici) decodes every body and costs more per request.
 */
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

interface ClientsResult {
  /** Latencies of the 200 answers, ms, sorted. */
  latencies: number[];
  status503: number;
  statusOther: number;
  /** 200 answers whose length differed from the client's first one's. */
  changedLength: number;
  /** Points (times, for columns; periods, for energy) in the last parsed 200 answer. */
  points: number;
  /** Content-Encoding of the last 200 answer ('identity' when none). */
  encoding: string;
  /** CPU time the clients' process spent, ms (user + system). */
  cpuMs: number;
}

interface ClientsJob {
  url: string;
  headers: Record<string, string>;
  clients: number;
  seconds: number;
}

const FLAG = '--nilm-bench-clients';

/** One GET on a kept-alive connection: status, content-encoding and the body as sent. */
function get(
  url: URL,
  headers: Record<string, string>,
  agent: Agent,
): Promise<{ status: number; encoding: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          encoding: String(res.headers['content-encoding'] ?? 'identity'),
          body: Buffer.concat(chunks),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The body decoded as its Content-Encoding says. */
function decoded(body: Buffer, encoding: string): Buffer {
  if (encoding === 'gzip') return gunzipSync(body);
  if (encoding === 'br') return brotliDecompressSync(body);
  if (encoding === 'identity') return body;
  throw new Error(`the bench clients cannot decode Content-Encoding ${encoding}`);
}

/** Run the clients in this process. */
async function runClients(job: ClientsJob): Promise<ClientsResult> {
  const latencies: number[] = [];
  let status503 = 0;
  let statusOther = 0;
  let changedLength = 0;
  let points = 0;
  let encoding = 'identity';
  const url = new URL(job.url);
  // One kept-alive connection per client, as 50 browsers would hold.
  const agent = new Agent({ keepAlive: true, maxSockets: job.clients });
  const cpuBefore = process.cpuUsage();
  const deadline = performance.now() + job.seconds * 1000;
  const client = async (): Promise<void> => {
    let firstLength: number | undefined;
    while (performance.now() < deadline) {
      const s = performance.now();
      const r = await get(url, job.headers, agent);
      if (r.status === 200) {
        latencies.push(performance.now() - s);
        encoding = r.encoding;
        if (firstLength === undefined) {
          firstLength = r.body.byteLength;
          const body = JSON.parse(decoded(r.body, r.encoding).toString('utf8')) as {
            points?: unknown[];
            time_ms?: unknown[];
            periods?: unknown[];
          };
          points = (body.points ?? body.time_ms ?? body.periods ?? []).length;
        } else if (r.body.byteLength !== firstLength) changedLength++;
      } else if (r.status === 503) status503++;
      else statusOther++;
    }
  };
  await Promise.all(Array.from({ length: job.clients }, client));
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    latencies,
    status503,
    statusOther,
    changedLength,
    points,
    encoding,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

/** Run the clients in a child process (same Node) and wait for their result. */
export function clientsElsewhere(job: ClientsJob): Promise<ClientsResult> {
  return new Promise((resolve, reject) => {
    const file = fileURLToPath(import.meta.url);
    // `nilm` registers tsx in its own process only; a child running this file as TypeScript
    // needs the loader on its command line.
    const execArgv = file.endsWith('.ts') ? ['--import', import.meta.resolve('tsx/esm')] : [];
    const child = fork(file, [FLAG], { stdio: 'inherit', execArgv });
    let result: ClientsResult | undefined;
    child.on('message', (m) => {
      result = m as ClientsResult;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      result ? resolve(result) : reject(new Error(`bench clients exited with ${code}`)),
    );
    child.send(job);
  });
}

if (process.argv.includes(FLAG) && process.send) {
  process.once('message', (job: ClientsJob) => {
    void runClients(job).then(
      (r) => process.send!(r, () => process.exit(0)),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  });
}
