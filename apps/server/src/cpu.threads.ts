/**
 * How many intra-op threads the model runtime gets, from the cores this process really has
 * (the CPU set Node.js sees, capped by a cgroup CPU quota such as a container's `--cpus`).
 *
 * The all-in-one `nilm start` gets 1: its event loop, the embedded stores and the worker's jobs
 * share the same cores, and on the 2-core machine 2 threads ran 2.2-2.7x slower than 1 there
 * (issue 16; `nilm bench` prints both, docs/benchmarks.md). A worker of its own gets one thread
 * per core its jobs leave free, keeping one core for the event loop and the store client.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** The CPU quota of the process's cgroup (v2 `cpu.max`), in cores; undefined when unlimited. */
function cgroupCores(read: (path: string) => string): number | undefined {
  try {
    const [quota, period] = read('/sys/fs/cgroup/cpu.max').trim().split(/\s+/);
    if (!quota || quota === 'max' || !period) return undefined;
    const cores = Number(quota) / Number(period);
    return Number.isFinite(cores) && cores > 0 ? cores : undefined;
  } catch {
    return undefined;
  }
}

/** Cores this process can use: the CPU set, capped by a cgroup quota (at least 1). */
export function availableCores(
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
  cpus: number = availableParallelism(),
): number {
  const quota = cgroupCores(read);
  return Math.max(1, Math.floor(Math.min(cpus, quota ?? cpus)));
}

/** Intra-op threads for a process of this role running `concurrency` model jobs at once. */
export function intraOpThreads(
  role: 'all' | 'api' | 'worker',
  concurrency: number,
  cores: number = availableCores(),
): number {
  if (role !== 'worker') return 1;
  return Math.max(1, Math.min(4, Math.floor((cores - 1) / Math.max(1, concurrency))));
}
