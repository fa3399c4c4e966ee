import { jobCatalog, type SystemJobName } from '../queues/catalog.js';
import { JobName, type QueueName } from '../queues/names.js';
import type { JobHandler } from './handler.js';
import { callOutcome, claim, lifecycleCommand, settle, tick, whatsappEvent } from './handlers.js';

/** One handler per job this system consumes; the type makes a missing one a compile error. */
export const jobHandlers: Record<SystemJobName, JobHandler> = {
  [JobName.LifecycleCommand]: lifecycleCommand,
  [JobName.SettleCampaign]: settle,
  [JobName.HopperTick]: tick,
  [JobName.Claim]: claim,
  [JobName.CallOutcome]: callOutcome,
  [JobName.WhatsappEvent]: whatsappEvent,
};

const systemJobs = () =>
  (Object.keys(jobCatalog) as JobName[]).filter((name) => jobCatalog[name].consumer === 'system');

/** Boot-time check: every job this system consumes has exactly one handler, and no handler is stray. */
export function assertHandlersMatchCatalog(handlers: Record<string, JobHandler> = jobHandlers): void {
  const expected = new Set<string>(systemJobs());
  const handled = new Set(Object.keys(handlers));
  const missing = [...expected].filter((name) => !handled.has(name));
  const unknown = [...handled].filter((name) => !expected.has(name));
  if (missing.length || unknown.length) {
    throw new Error(`job handlers do not match the catalog: missing [${missing}], unknown [${unknown}]`);
  }
}

/** The queues this system consumes, each with the job names it carries. */
export function queuesWithJobs(): Map<QueueName, JobName[]> {
  const byQueue = new Map<QueueName, JobName[]>();
  for (const name of systemJobs()) {
    const queue = jobCatalog[name].queue;
    byQueue.set(queue, [...(byQueue.get(queue) ?? []), name]);
  }
  return byQueue;
}

export function handlerFor(name: string): JobHandler | undefined {
  return (jobHandlers as Record<string, JobHandler>)[name];
}
