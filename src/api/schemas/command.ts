import { z } from 'zod';
import { lifecycleCommands } from '../../domain/lifecycle.js';

export const CommandOut = z
  .object({
    id: z.guid(),
    command: z.enum(lifecycleCommands),
    campaign_id: z.guid(),
    status: z.enum(['pending', 'queued', 'running', 'succeeded', 'rejected', 'failed']).meta({
      description:
        'pending: recorded, its job not yet confirmed queued (it becomes queued, or failed if the queue did not take it); failed: never applied (result holds the 503 answer when the queue did not take it).',
    }),
    created_at: z.string(),
    finished_at: z.string().nullable(),
    progress: z
      .object({
        selected: z.int(),
        scheduled_calls: z.int(),
        queued_whatsapp: z.int(),
        skipped_existing_pending: z.int(),
        skipped_missing_contact: z.int(),
        finished: z.boolean(),
      })
      .nullable()
      .meta({
        description: 'A start or resume: targets its rollout has gone through so far and the rounds it opened; finished once it has gone through them all.',
      }),
    result: z
      .object({ status_code: z.int(), body: z.record(z.string(), z.unknown()) })
      .nullable()
      .meta({ description: 'Once finished: the HTTP status and body the command answers with.' }),
  })
  .meta({ id: 'CommandOut', title: 'CommandOut' });

export const CommandAccepted = z
  .object({
    command_id: z.guid(),
    status: z.enum(['queued', 'running']),
    detail: z.string(),
  })
  .meta({ id: 'CommandAccepted', title: 'CommandAccepted' });
