import { channels, type ChannelName } from '../channels.js';
import { forgetContactDials } from '../db/repositories/contact-policies.js';
import { overdueClaims } from '../db/repositories/hopper.js';
import { CONTACT_CAP_MAX_HOURS } from '../domain/contact-caps.js';
import { applyAfterCommit, enqueueSettle } from './after-commit.js';
import { recordCallOutcomes } from './call-outcomes.js';
import type { ServiceDeps } from './deps.js';
import { promoteDueWork } from './hopper.js';
import { endCampaignsPastEnd } from './lifecycle.js';
import { runRollouts } from './rollouts.js';
import { recordWhatsappEvents } from './whatsapp-events.js';

type Deps = Pick<ServiceDeps, 'db' | 'queues' | 'clock' | 'logger' | 'metrics' | 'settings'>;

const OVERDUE_BATCH = 500;

/** Dials older than any cap counts, deleted per pass at most (a pass never stalls on a backlog). */
const FORGET_BATCH = 5000;

/**
 * The hopper's periodic pass: end the campaigns whose ends_at came, promote due work, open the
 * rounds rollouts still owe (and promote what is due of them), record a timeout for work handed
 * out whose report never came, forget dials older than any contact cap counts, and queue a
 * completion check of the campaigns whose rollout ran out (a target going idle
 * queues its own after commit; the reconciler completes a campaign whose check was lost).
 */
export async function hopperTick(deps: Deps) {
  // Campaigns whose end has come stop first: nothing of theirs is promoted after ends_at.
  const ended = await endCampaignsPastEnd(deps);
  const promoted = await promoteDueWork(deps);
  const rollouts = await runRollouts(deps);
  const promotedOpened = rollouts.opened > 0 ? await promoteDueWork(deps) : { promoted: 0, deferred: 0 };
  const timedOut = await recordTimeouts(deps);
  await forgetContactDials(deps.db.sql, new Date(deps.clock().getTime() - CONTACT_CAP_MAX_HOURS * 3_600_000), FORGET_BATCH);
  const settling = new Set(rollouts.finished);
  await Promise.all([...settling].map((campaignId) => enqueueSettle(deps, campaignId)));
  // A large rollout keeps opening rounds pass after pass, not one pass per interval; and while
  // rollouts open rounds, campaigns started during this pass are taken up by the next one at once.
  if (rollouts.more || rollouts.opened > 0) await applyAfterCommit(deps, { hopperPass: true });
  deps.metrics.hopperPasses.inc();
  return { promoted: promoted.promoted + promotedOpened.promoted, opened: rollouts.opened, timedOut, settling: settling.size, ended };
}

/**
 * What each channel records for work handed out whose report never came: a call is `timed_out`
 * (it counts as failed until the dialer's real outcome arrives and replaces it), a message failed.
 */
const recordTimedOut: Record<ChannelName, (deps: Deps, ids: string[]) => Promise<unknown>> = {
  call: (deps, ids) =>
    recordCallOutcomes(
      deps,
      ids.map((callId) => ({ callId, status: 'timed_out', summary: 'No outcome reported within CALL_OUTCOME_TIMEOUT_SECONDS.' })),
    ),
  whatsapp: (deps, ids) =>
    recordWhatsappEvents(
      deps,
      ids.map((messageId) => ({ messageId, event: 'failed' })),
    ),
};

/** Calls left dialing, and messages left sending, past the outcome timeout. */
async function recordTimeouts(deps: Deps): Promise<number> {
  const before = new Date(deps.clock().getTime() - deps.settings.callOutcomeTimeoutMs);
  let total = 0;
  for (const channel of channels) {
    const ids = await overdueClaims(deps.db.sql, channel, before, OVERDUE_BATCH);
    if (ids.length === 0) continue;
    await recordTimedOut[channel.name](deps, ids);
    total += ids.length;
  }
  if (total > 0) deps.logger.warn({ rows: total }, 'work handed out without a report past the timeout was recorded as timed out');
  return total;
}
