/**
 * The bare BullMQ reference, in a process of its own: a no-op worker (concurrency 50) drains
 * the BARE_JOBS jobs the bench queued on queue `bare`. Prints one JSON line: jobs/s, CPU per
 * job and the process's peak RSS.
 */
import { Worker } from 'bullmq';

const connection = { url: process.env.BARE_REDIS_URL!, maxRetriesPerRequest: null };
const jobs = Number(process.env.BARE_JOBS);

const worker = new Worker('bare', async () => undefined, { connection, prefix: process.env.BARE_PREFIX!, concurrency: 50, autorun: false });
await worker.waitUntilReady();
let completed = 0;
const done = new Promise<void>((resolve) => {
  worker.on('completed', () => {
    completed += 1;
    if (completed === jobs) resolve();
  });
});
const cpu = process.cpuUsage();
const started = performance.now();
void worker.run();
await done;
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
await worker.close();
console.log(
  JSON.stringify({ jobsPerSecond: jobs / seconds, cpuMsPerJob: (used.user + used.system) / 1000 / jobs, peakRssBytes: process.resourceUsage().maxRSS * 1024 }),
);
process.exit(0);
