import { jobCatalog } from '../queues/catalog.js';
import { JobName, type QueueName } from '../queues/names.js';
import type { JobHandler } from './handler.js';
import { lifecycleCommandHandler } from './lifecycle.js';

/** One handler per job name; the type makes a missing one a compile error. */
export const jobHandlers: Record<JobName, JobHandler> = {
  [JobName.LifecycleCommand]: lifecycleCommandHandler,
};

/** Boot-time check: every catalogued job has exactly one handler and every handler a job. */
export function assertHandlersMatchCatalog(handlers: Record<string, JobHandler> = jobHandlers): void {
  const catalogued = new Set(Object.keys(jobCatalog));
  const handled = new Set(Object.keys(handlers));
  const missing = [...catalogued].filter((name) => !handled.has(name));
  const unknown = [...handled].filter((name) => !catalogued.has(name));
  if (missing.length || unknown.length) {
    throw new Error(`job handlers do not match the catalog: missing [${missing}], unknown [${unknown}]`);
  }
}

/** The queues that have at least one job, each with the job names it carries. */
export function queuesWithJobs(): Map<QueueName, JobName[]> {
  const byQueue = new Map<QueueName, JobName[]>();
  for (const [name, definition] of Object.entries(jobCatalog) as [JobName, (typeof jobCatalog)[JobName]][]) {
    byQueue.set(definition.queue, [...(byQueue.get(definition.queue) ?? []), name]);
  }
  return byQueue;
}
