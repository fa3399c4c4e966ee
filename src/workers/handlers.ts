import type { z } from 'zod';
import { failCommand } from '../db/repositories/commands.js';
import { jobCatalog } from '../queues/catalog.js';
import { JobName } from '../queues/names.js';
import { recordCallOutcome } from '../services/call-outcomes.js';
import { claimDispatch } from '../services/dispatch.js';
import { hopperTick } from '../services/hopper-tick.js';
import { runLifecycleCommand, settleCampaign } from '../services/lifecycle.js';
import { recordWhatsappEvent } from '../services/whatsapp-events.js';
import { isFinalAttempt, type JobHandler } from './handler.js';

const parse = <N extends keyof typeof jobCatalog>(name: N, data: unknown) =>
  jobCatalog[name].schema.parse(data) as z.output<(typeof jobCatalog)[N]['schema']>;

export const lifecycleCommand: JobHandler = async (job, deps) => {
  const { command_id } = parse(JobName.LifecycleCommand, job.data);
  const timer = deps.metrics.commandDuration.startTimer();
  try {
    const { command, result } = await runLifecycleCommand(deps, command_id);
    deps.metrics.lifecycleCommands.inc({ command, result: result.ok ? 'succeeded' : 'rejected' });
    timer({ command });
    return result;
  } catch (error) {
    if (isFinalAttempt(job, error)) {
      await failCommand(deps.db, command_id).catch(() => undefined);
      deps.metrics.lifecycleCommands.inc({ command: 'unknown', result: 'failed' });
    }
    throw error;
  }
};

export const settle: JobHandler = (job, deps) => settleCampaign(deps, parse(JobName.SettleCampaign, job.data).campaign_id);

export const tick: JobHandler = (_job, deps) => hopperTick({ ...deps, callOutcomeTimeoutMs: deps.callOutcomeTimeoutMs });

export const claim: JobHandler = (job, deps) => claimDispatch(deps.db, deps.clock, parse(JobName.Claim, job.data));

export const callOutcome: JobHandler = async (job, deps) => {
  const { call_id, ...report } = parse(JobName.CallOutcome, job.data);
  const call = await recordCallOutcome(deps, { callId: call_id, report });
  return { call_id: call.id, status: call.status };
};

export const whatsappEvent: JobHandler = async (job, deps) => {
  const { message_id, event } = parse(JobName.WhatsappEvent, job.data);
  const message = await recordWhatsappEvent(deps, { messageId: message_id, event });
  return { message_id: message.id, status: message.status };
};
