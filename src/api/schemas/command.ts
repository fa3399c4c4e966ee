import { z } from 'zod';

export const CommandOut = z
  .object({
    id: z.guid(),
    command: z.enum(['start', 'pause', 'resume', 'complete']),
    campaign_id: z.guid(),
    status: z.enum(['queued', 'running', 'succeeded', 'rejected', 'failed']),
    created_at: z.string(),
    finished_at: z.string().nullable(),
    progress: z
      .record(z.string(), z.unknown())
      .nullable()
      .meta({ description: 'While a large resume runs: targets selected and rounds opened so far.' }),
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
