import { channelNamed, type ChannelName } from '../channels.js';
import type { DispatchDecision } from '../domain/dispatch-policy.js';
import type { ClaimResult } from '../queues/payloads.js';

/**
 * The dispatch decision as each transport answers it: `job` is the result of the helper's claim
 * job (docs/dialers.md), `http` the answer of `POST /calls/{call_id}/claim` and
 * `POST /whatsapp-messages/{message_id}/claim` (docs/api.md). Each transport keeps its own
 * wording, which installed dialers read; both are written here, case by case.
 */
export interface ClaimAnswer {
  job: ClaimResult;
  http: { status: 200; body: { proceed: true } } | { status: 409 | 425; body: { detail: string } };
}

export function claimAnswerOf(decision: DispatchDecision, channel: ChannelName): ClaimAnswer {
  const { act, noun } = channelNamed(channel).claimWords;
  const refused = (reason: string, detail: string, retry = false): ClaimAnswer => ({
    job: { proceed: false, retry, reason },
    http: { status: retry ? 425 : 409, body: { detail } },
  });
  switch (decision.kind) {
    case 'dial':
      return { job: { proceed: true }, http: { status: 200, body: { proceed: true } } };
    case 'retry':
      return refused(decision.reason, 'The job is ahead of its row (its promotion is not recorded yet); retry the job shortly.', true);
    case 'drop':
      return refused(decision.reason, `Do not ${act}: the job is stale or the ${noun} no longer needed (${decision.reason}); acknowledge the job.`);
    case 'cancel':
      return refused('the target is on the do-not-contact list', `Do not ${act}: the target is on the do-not-contact list; acknowledge the job.`);
    case 'hold':
      return refused(
        `held (${decision.reason}); it will be handed out again later`,
        `Do not ${act} now (${decision.reason}): the ${noun} is handed out again later; acknowledge the job.`,
      );
  }
}

/** The words of a channel's HTTP claim route and its documentation: the act, the work, its claimed status. */
export function claimWordsOf(channel: ChannelName): { act: string; noun: string; claimed: string } {
  const descriptor = channelNamed(channel);
  return { ...descriptor.claimWords, claimed: descriptor.claimed };
}
