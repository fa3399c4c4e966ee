import { jobCatalog, type SystemJobName } from '../queues/catalog.js';
import type { JobName, QueueName } from '../queues/names.js';
import { jobHandlers, type Handler } from './handlers.js';

const systemJobs = () => (Object.keys(jobCatalog) as JobName[]).filter((name): name is SystemJobName => jobCatalog[name].consumer === 'system');

/** Boot-time check: every job this system consumes has exactly one handler, and no handler is stray. */
export function assertHandlersMatchCatalog(handlers: Record<string, unknown> = jobHandlers): void {
  const expected = new Set<string>(systemJobs());
  const handled = new Set(Object.keys(handlers));
  const missing = [...expected].filter((name) => !handled.has(name));
  const unknown = [...handled].filter((name) => !expected.has(name));
  if (missing.length || unknown.length) {
    throw new Error(`job handlers do not match the catalog: missing [${missing}], unknown [${unknown}]`);
  }
}

/** The queues this system consumes, each with the job names it carries. */
export function queuesWithJobs(): Map<QueueName, SystemJobName[]> {
  const byQueue = new Map<QueueName, SystemJobName[]>();
  for (const name of systemJobs()) {
    const queue = jobCatalog[name].queue;
    byQueue.set(queue, [...(byQueue.get(queue) ?? []), name]);
  }
  return byQueue;
}

/** The handler of a job name this system consumes, with its payload schema; undefined for any other name. */
export function handlerFor(name: string): { schema: (typeof jobCatalog)[SystemJobName]['schema']; handle: Handler<SystemJobName> } | undefined {
  if (!systemJobs().includes(name as SystemJobName)) return undefined;
  const jobName = name as SystemJobName;
  return { schema: jobCatalog[jobName].schema, handle: jobHandlers[jobName] as Handler<SystemJobName> };
}
