import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { JobName, QueueName } from './names.js';

interface JobDefinition<S extends z.ZodType> {
  queue: QueueName;
  schema: S;
  options: JobsOptions;
}

const define = <S extends z.ZodType>(definition: JobDefinition<S>) => definition;

/** Every job of the system: its queue, its payload (ids only) and how it is retried. */
export const jobCatalog = {
  [JobName.LifecycleCommand]: define({
    queue: QueueName.Lifecycle,
    schema: z.object({ command_id: z.uuid(), request_id: z.string().optional() }),
    options: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  }),
} as const;

export type JobPayload<N extends JobName> = z.output<(typeof jobCatalog)[N]['schema']>;
