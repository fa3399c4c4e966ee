import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queue } from 'bullmq';
import { withTimeout } from './util/timeout.js';

// Call and message jobs carry a dispatch priority: due, they wait in `prioritized`, not `waiting`.
const JOB_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'failed'] as const;

/**
 * How long a scrape waits for the queue depths: a scrape must answer within 2 s whatever is
 * down, and a suspended Redis (or a half-open connection) never answers at all.
 */
const QUEUE_READ_TIMEOUT_MS = 1_000;

/** The process's Prometheus metrics (one registry per system, so tests can run several). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let watched: { queues: Queue[]; unreadable: (error: unknown) => void } = { queues: [], unreadable: () => undefined };
  const queueJobs = new Gauge({
    name: 'campaign_queue_jobs',
    help: 'Jobs per queue and state, read from Redis at scrape time; absent from a scrape when Redis does not answer within 1 s.',
    labelNames: ['queue', 'state'],
    registers: [registry],
  });
  return {
    registry,
    /** Queues whose job counts are exported; `unreadable` hears why a scrape could not read them. */
    watchQueues(queues: Queue[], unreadable: (error: unknown) => void) {
      watched = { queues, unreadable };
    },
    /**
     * The Prometheus text. The queue depths are read first, bounded: when Redis does not answer
     * they are left out (a stale or zero depth would lie), and the failure is reported first,
     * so `campaign_dependency_up` in the same scrape already says Redis is down.
     */
    async scrape(): Promise<string> {
      queueJobs.reset();
      try {
        const counts = await withTimeout(
          Promise.all(watched.queues.map(async (queue) => [queue.name, await queue.getJobCounts(...JOB_STATES)] as const)),
          QUEUE_READ_TIMEOUT_MS,
          'Redis',
        );
        for (const [queue, byState] of counts) {
          for (const state of JOB_STATES) queueJobs.set({ queue, state }, byState[state] ?? 0);
        }
      } catch (error) {
        watched.unreadable(error);
      }
      return registry.metrics();
    },
    lifecycleCommands: new Counter({
      name: 'campaign_lifecycle_commands_total',
      help: 'Lifecycle commands applied, by command and result (succeeded, rejected, failed).',
      labelNames: ['command', 'result'],
      registers: [registry],
    }),
    callOutcomes: new Counter({
      name: 'campaign_call_outcomes_total',
      help: 'Call outcomes recorded, by status.',
      labelNames: ['status'],
      registers: [registry],
    }),
    commandDuration: new Histogram({
      name: 'campaign_lifecycle_command_duration_seconds',
      help: 'Time the lifecycle worker spends applying a command.',
      labelNames: ['command'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    dependencyUp: new Gauge({
      name: 'campaign_dependency_up',
      help: 'Whether PostgreSQL and Redis answer (1) or an outage is under way (0).',
      labelNames: ['dependency'],
      registers: [registry],
    }),
    dependencyOutages: new Counter({
      name: 'campaign_dependency_outages_total',
      help: 'Outages of PostgreSQL or Redis seen by this process.',
      labelNames: ['dependency'],
      registers: [registry],
    }),
    hopperPasses: new Counter({
      name: 'campaign_hopper_passes_total',
      help: 'Completed hopper passes (promotion, round opening, timeouts, settling).',
      registers: [registry],
    }),
    scheduledEnds: new Counter({
      name: 'campaign_scheduled_ends_total',
      help: 'Campaigns completed by themselves because their ends_at came.',
      registers: [registry],
    }),
    optOuts: new Counter({
      name: 'campaign_opt_outs_total',
      help: 'Opt-outs captured, by source (call: an outcome with opt_out; whatsapp: a reply that is an opt-out keyword).',
      labelNames: ['source'],
      registers: [registry],
    }),
    contactCapHolds: new Counter({
      name: 'campaign_contact_cap_holds_total',
      help: "Calls held at dispatch because their number reached a cap of the organization's contact policy.",
      registers: [registry],
    }),
    webhookAttempts: new Counter({
      name: 'campaign_webhook_attempts_total',
      help: 'Webhook delivery attempts, by result: delivered, retry, failed (out of attempts), disable (410 Gone, failing for 5 days).',
      labelNames: ['result'],
      registers: [registry],
    }),
    dispatchDecisions: new Counter({
      name: 'campaign_dispatch_decisions_total',
      help: 'Dispatch guard decisions, by channel and decision (dial, drop, retry, hold, cancel).',
      labelNames: ['channel', 'decision'],
      registers: [registry],
    }),
    reconciled: new Counter({
      name: 'campaign_reconciled_total',
      help: 'Promoted rows whose job was missing or finished in Redis, given back to the hopper (work); lifecycle commands queued again (command); campaigns without work whose completion check was lost, completed (settle).',
      labelNames: ['kind'],
      registers: [registry],
    }),
    workersReplaced: new Counter({
      name: 'campaign_workers_replaced_total',
      help: 'Workers replaced because they took no due job while idle (a blocking connection left closed after a Redis failover), by queue.',
      labelNames: ['queue'],
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'campaign_job_duration_seconds',
      help: 'Time spent processing a job, by queue, job name and outcome.',
      labelNames: ['queue', 'job', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
