import { channelNamed } from '../channels.js';
import { saveOutcomes, type Call, type RecordedCall } from '../db/repositories/calls.js';
import { lockCalls } from '../db/locks.js';
import { insertEvaluations } from '../db/repositories/evaluations.js';
import { recordOptOuts, type OptedOut } from '../db/repositories/opt-outs.js';
import { Conflict, InvalidField, NotFound } from '../domain/errors.js';
import { settleOptOuts } from './do-not-contact.js';
import { canCarryOptOut, decideOutcome, OPT_OUT_UNANSWERED, type CallStatus, type RecordedOutcome } from '../domain/outcomes.js';
import { appendWebhookEvents, type DeliveryRef } from '../db/repositories/webhook-events.js';
import { callEndedEvent, optedOutEvent } from '../domain/webhook-events.js';
import { applyAfterCommit, mergeEffects } from './after-commit.js';
import { createBatcher } from './batcher.js';
import { ownedRequests } from './owned-work.js';
import type { ServiceDeps } from './deps.js';
import { inReportTransaction } from './report-transaction.js';
import type { TargetChange } from './target-progress.js';
import type { AiLabel } from '../domain/goal.js';

/** An outcome as a dialer reports it (or the timeout sweep records it). */
export interface OutcomeReport {
  callId: string;
  /** Set for reports over HTTP: another organization's call is "not found". */
  organizationId?: string | undefined;
  status: RecordedOutcome;
  durationS?: number | undefined;
  aiLabel?: AiLabel | undefined;
  aiScore?: number | undefined;
  summary?: string | undefined;
  /** The person asked not to be called again: only with `answered`. */
  optOut?: boolean | undefined;
}

type Deps = Pick<ServiceDeps, 'db' | 'queues' | 'clock' | 'logger' | 'metrics'>;

/**
 * Records a batch of outcomes in one transaction (`inReportTransaction`: campaigns, targets and calls
 * locked; a target's reports one after the other): each outcome the call's status allows, its
 * AI evaluation, and the target moved on. Each report gets its own answer: the call, or its own
 * error.
 */
export async function recordCallOutcomes(deps: Deps, reports: readonly OutcomeReport[]): Promise<Array<Call | Error>> {
  const results: Array<Call | Error | undefined> = reports.map(() => undefined);
  const accepted = await ownedRequests(deps, 'call', reports, (report) => report.callId);
  // Unknown ids, and another organization's, are not found (errors made only for those).
  const answered = () => results.map((result) => result ?? new NotFound(channelNamed('call').notFound));
  if (accepted.length === 0) return answered();

  const now = deps.clock();
  const recorded: Call[] = [];
  const optedOut: OptedOut[] = [];
  const webhooks: DeliveryRef[] = [];
  const effects = await inReportTransaction(
    deps,
    accepted,
    (report) => report.callId,
    lockCalls,
    async (wave, { tx, campaigns, rows: calls }) => {
      const writes: RecordedCall[] = [];
      const changes: TargetChange[] = [];
      const writtenIndexes: number[] = [];
      for (const { request: report, index } of wave) {
        const call = calls.get(report.callId)!;
        const reported = {
          id: call.id,
          status: report.status,
          durationS: report.durationS ?? null,
          aiLabel: report.aiLabel ?? null,
          aiScore: report.aiScore ?? null,
          summary: report.summary ?? null,
          optOut: report.optOut ?? false,
        };
        if (reported.optOut && !canCarryOptOut(reported.status)) {
          results[index] = new InvalidField(['body', 'opt_out'], OPT_OUT_UNANSWERED, 'opt_out_unanswered');
          continue;
        }
        const decision = decideOutcome({ ...call, status: call.status as CallStatus }, reported);
        if (decision.kind === 'conflict') results[index] = new Conflict(decision.detail);
        else if (decision.kind === 'duplicate') results[index] = call;
        else {
          writes.push(reported);
          changes.push({
            targetId: call.targetId,
            reachedNow: report.status === 'answered',
            call: { round: call.round, roundAttempt: call.roundAttempt, outcome: report.status },
          });
          writtenIndexes.push(index);
        }
      }
      const saved = new Map((await saveOutcomes(tx, writes, now)).map((call) => [call.id, call]));
      await insertEvaluations(
        tx,
        writes
          .filter((write) => write.aiLabel !== null && write.aiScore !== null)
          .map((write) => ({
            campaignId: saved.get(write.id)!.campaignId,
            targetId: saved.get(write.id)!.targetId,
            callId: write.id,
            label: write.aiLabel!,
            score: write.aiScore!,
          })),
      );
      for (const index of writtenIndexes) {
        const call = saved.get(reports[index]!.callId)!;
        calls.set(call.id, call);
        results[index] = call;
        recorded.push(call);
      }
      // Listed before the targets move on: their rounds end as do_not_contact.
      const sources = writes.filter((write) => write.optOut).map((write) => ({ targetId: saved.get(write.id)!.targetId, callId: write.id }));
      const heard = await recordOptOuts(tx, sources, now);
      optedOut.push(...heard);
      const organizationOf = (campaignId: string) => campaigns.get(campaignId)!.organizationId;
      webhooks.push(
        ...(await appendWebhookEvents(
          tx,
          [
            ...writes.map((write) => {
              const call = saved.get(write.id)!;
              return callEndedEvent({ ...call, callId: call.id, organizationId: organizationOf(call.campaignId) });
            }),
            ...heard.map(optedOutEvent),
          ],
          now,
        )),
      );
      return changes;
    },
    now,
  );
  for (const call of recorded) {
    deps.metrics.callOutcomes.inc({ status: call.status });
    deps.logger.debug({ call_id: call.id, campaign_id: call.campaignId, status: call.status }, 'call outcome recorded');
  }
  await applyAfterCommit(deps, mergeEffects(effects, { webhooks }));
  await settleOptOuts(deps, optedOut, 'call');
  return answered();
}

/** One report at a time for callers, batched underneath (group commit). */
export function createOutcomeRecorder(deps: Deps, options = { maxBatchSize: 200, maxInFlight: 2 }) {
  return createBatcher<OutcomeReport, Call>((reports) => recordCallOutcomes(deps, reports), options);
}
