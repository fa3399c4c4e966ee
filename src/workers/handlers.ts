import type { Job } from 'bullmq';
import type { z } from 'zod';
import { isRetryable } from '../domain/errors.js';
import type { SystemJobName, jobCatalog } from '../queues/catalog.js';
import { JobName } from '../queues/names.js';
import type { BatchedUseCases } from '../services/batched.js';
import { claimAnswerOf } from '../services/claim-answers.js';
import type { ServiceDeps } from '../services/deps.js';
import { hopperTick } from '../services/hopper-tick.js';
import { markCommandFailed, runLifecycleCommand } from '../services/lifecycle.js';
import { reconcile } from '../services/reconciler.js';
import { deliverWebhook } from '../services/webhook-delivery.js';

/** What every handler may use: the services' dependencies and the process's batched use cases. */
export interface WorkerContext {
  deps: ServiceDeps;
  batched: BatchedUseCases;
  job: Job;
}

export type JobData<N extends SystemJobName> = z.output<(typeof jobCatalog)[N]['schema']>;
export type Handler<N extends SystemJobName> = (data: JobData<N>, context: WorkerContext) => Promise<unknown>;

/** One handler per job this system consumes: parse done, one use case, a result. */
export const jobHandlers: { [N in SystemJobName]: Handler<N> } = {
  [JobName.LifecycleCommand]: async ({ command_id }, { deps, batched, job }) => {
    const timer = deps.metrics.commandDuration.startTimer();
    try {
      const { command, result } = await runLifecycleCommand(deps, command_id, batched.applyLifecycleCommand);
      if (!result) return { ok: false, applied: false };
      deps.metrics.lifecycleCommands.inc({ command, result: result.ok ? 'succeeded' : 'rejected' });
      timer({ command });
      return { ok: result.ok };
    } catch (error) {
      if (!isRetryable(error) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        // The command's row says it failed, so the API and GET /commands answer at once.
        await markCommandFailed(deps, command_id).catch((failure: unknown) =>
          deps.logger.error({ err: failure, command_id }, 'could not mark the command failed; the reconciler will queue it again'),
        );
        deps.metrics.lifecycleCommands.inc({ command: 'unknown', result: 'failed' });
      }
      throw error;
    }
  },
  [JobName.SettleCampaign]: ({ campaign_id }, { batched }) => batched.settleCampaign(campaign_id),
  [JobName.HopperTick]: (_data, { deps }) => hopperTick(deps),
  [JobName.Reconcile]: (_data, { deps }) => reconcile(deps),
  [JobName.Claim]: async ({ channel, id, promotion }, { batched }) => claimAnswerOf(await batched.claim({ channel, id, promotion }), channel).job,
  [JobName.CallOutcome]: async ({ call_id, status, duration_s, ai_label, ai_score, summary, opt_out }, { batched }) => {
    const call = await batched.recordCallOutcome({
      callId: call_id,
      status,
      durationS: duration_s,
      aiLabel: ai_label,
      aiScore: ai_score,
      summary,
      optOut: opt_out,
    });
    return { call_id: call.id, status: call.status };
  },
  [JobName.DeliverWebhook]: ({ delivery_id, attempts }, { deps }) => deliverWebhook(deps, { id: delivery_id, attempts }),
  [JobName.WhatsappEvent]: async ({ message_id, event, text }, { batched }) => {
    const message = await batched.recordWhatsappEvent({ messageId: message_id, event, text });
    return { message_id: message.id, status: message.status };
  },
};
