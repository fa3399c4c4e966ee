import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { jobCatalog, type JobPayload } from './catalog.js';
import { JobName, QueueName } from './names.js';

export interface Queues {
  lifecycle: Queue;
  all(): Queue[];
  close(): Promise<void>;
}

export function createQueues(connection: Redis, prefix: string, logger: Logger): Queues {
  const lifecycle = new Queue(QueueName.Lifecycle, { connection, prefix });
  const queues = [lifecycle];
  for (const queue of queues) {
    queue.on('error', (err) => logger.error({ err, queue: queue.name }, 'queue error'));
  }
  return {
    lifecycle,
    all: () => queues,
    close: async () => {
      await Promise.all(queues.map((queue) => queue.close()));
    },
  };
}

export function createQueueEvents(name: QueueName, connection: Redis, prefix: string, logger: Logger): QueueEvents {
  const events = new QueueEvents(name, { connection, prefix });
  events.on('error', (err) => logger.error({ err, queue: name }, 'queue events error'));
  return events;
}

/** Job id = command id: enqueueing the same command twice queues it once. */
export async function enqueueLifecycleCommand(queues: Queues, payload: JobPayload<typeof JobName.LifecycleCommand>) {
  const definition = jobCatalog[JobName.LifecycleCommand];
  const data = definition.schema.parse(payload);
  return queues.lifecycle.add(JobName.LifecycleCommand, data, { ...definition.options, jobId: data.command_id });
}
