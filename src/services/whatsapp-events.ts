import { channelNamed } from '../channels.js';
import { saveMessageEvents, type MessageEventTimes, type WhatsappMessage } from '../db/repositories/messages.js';
import { lockMessages } from '../db/locks.js';
import { findContactPolicy } from '../db/repositories/contact-policies.js';
import { recordOptOuts, type OptedOut, type OptOutSource } from '../db/repositories/opt-outs.js';
import type { Db } from '../db/sql.js';
import { Conflict, NotFound } from '../domain/errors.js';
import { isOptOutReply, optOutKeywordsOf, storableReply } from '../domain/opt-out.js';
import { settleOptOuts } from './do-not-contact.js';
import { decideMessageEvent, type WhatsappEvent, type WhatsappStatus } from '../domain/whatsapp-status.js';
import { appendWebhookEvents, type DeliveryRef } from '../db/repositories/webhook-events.js';
import { optedOutEvent, repliedEvent, type Reply } from '../domain/webhook-events.js';
import { applyAfterCommit, mergeEffects } from './after-commit.js';
import { createBatcher } from './batcher.js';
import { ownedRequests } from './owned-work.js';
import type { ServiceDeps } from './deps.js';
import { inReportTransaction } from './report-transaction.js';
import type { TargetChange } from './target-progress.js';

export interface MessageEventReport {
  messageId: string;
  organizationId?: string | undefined;
  event: WhatsappEvent;
  /** A reply's text (replied only): a reply that is an opt-out keyword opts the person out. */
  text?: string | undefined;
}

const TIME_OF: Record<WhatsappEvent, keyof Omit<MessageEventTimes, 'id' | 'status'>> = {
  sent: 'sentAt',
  delivered: 'deliveredAt',
  read: 'readAt',
  replied: 'repliedAt',
  failed: 'failedAt',
};

type Deps = Pick<ServiceDeps, 'db' | 'queues' | 'clock' | 'logger' | 'metrics'>;

/** The organization's opt-out keywords, read once per transaction and organization. */
function keywordReader() {
  const read = new Map<string, Promise<string[]>>();
  return (tx: Db, organizationId: string) => {
    if (!read.has(organizationId))
      read.set(
        organizationId,
        findContactPolicy(tx, organizationId).then((policy) => optOutKeywordsOf(policy?.optOutKeywords)),
      );
    return read.get(organizationId)!;
  };
}

/**
 * Records WhatsApp events in one transaction (`inReportTransaction`, as call outcomes): each event the
 * message's status allows (`decideMessageEvent`: claimed messages only, the first time of each
 * event counts); a reply reaches the target and ends its round.
 * A message that is its round's last step ends the round by being sent or failing: no work is
 * left after it.
 */
export async function recordWhatsappEvents(deps: Deps, reports: readonly MessageEventReport[]): Promise<Array<WhatsappMessage | Error>> {
  reports = reports.map((report) => (report.text === undefined ? report : { ...report, text: storableReply(report.text) }));
  const results: Array<WhatsappMessage | Error | undefined> = reports.map(() => undefined);
  const accepted = await ownedRequests(deps, 'whatsapp', reports, (report) => report.messageId);
  // Unknown ids, and another organization's, are not found (errors made only for those).
  const answered = () => results.map((result) => result ?? new NotFound(channelNamed('whatsapp').notFound));
  if (accepted.length === 0) return answered();

  const now = deps.clock();
  const optedOut: OptedOut[] = [];
  const webhooks: DeliveryRef[] = [];
  const keywords = keywordReader();
  const effects = await inReportTransaction(
    deps,
    accepted,
    (report) => report.messageId,
    lockMessages,
    async (wave, { tx, campaigns, rows: messages }) => {
      const writes: MessageEventTimes[] = [];
      const changes: TargetChange[] = [];
      const writtenIndexes: number[] = [];
      const sources: OptOutSource[] = [];
      const replies: Reply[] = [];
      for (const { request: report, index } of wave) {
        const message = messages.get(report.messageId)!;
        const column = TIME_OF[report.event];
        const decision = decideMessageEvent(
          { status: message.status as WhatsappStatus, cancelReason: message.cancelReason, alreadyRecorded: message[column] !== null },
          report.event,
        );
        if (decision.kind === 'conflict') {
          results[index] = new Conflict(decision.detail);
          continue;
        }
        // A later reply that opts out counts even when an earlier one was recorded.
        const optsOut =
          report.event === 'replied' && !message.optOut && isOptOutReply(report.text, await keywords(tx, campaigns.get(message.campaignId)!.organizationId));
        if (decision.kind !== 'record' && !optsOut) {
          results[index] = message;
          continue;
        }
        writes.push({
          id: message.id,
          status: decision.kind === 'record' ? decision.status : (message.status as WhatsappStatus),
          sentAt: message.sentAt,
          deliveredAt: message.deliveredAt,
          readAt: message.readAt,
          repliedAt: message.repliedAt,
          failedAt: message.failedAt,
          ...(decision.kind === 'record' ? { [column]: now } : {}),
          replyText: message.replyText ?? (report.event === 'replied' ? (report.text ?? null) : null),
          optOut: message.optOut || optsOut,
        });
        changes.push({
          targetId: message.targetId,
          reachedNow: report.event === 'replied',
          ...(message.endsRound && (report.event === 'sent' || report.event === 'failed') ? { roundEndReason: `whatsapp_${report.event}` } : {}),
        });
        writtenIndexes.push(index);
        if (optsOut) sources.push({ targetId: message.targetId, messageId: message.id });
        if (report.event === 'replied') {
          replies.push({
            organizationId: campaigns.get(message.campaignId)!.organizationId,
            campaignId: message.campaignId,
            targetId: message.targetId,
            messageId: message.id,
            text: report.text ?? null,
            optOut: optsOut,
          });
        }
      }
      for (const message of await saveMessageEvents(tx, writes, now)) messages.set(message.id, message);
      // Listed before the targets move on: their rounds end as do_not_contact.
      const heard = await recordOptOuts(tx, sources, now);
      optedOut.push(...heard);
      webhooks.push(...(await appendWebhookEvents(tx, [...replies.map(repliedEvent), ...heard.map(optedOutEvent)], now)));
      for (const index of writtenIndexes) results[index] = messages.get(reports[index]!.messageId)!;
      return changes;
    },
    now,
  );
  await applyAfterCommit(deps, mergeEffects(effects, { webhooks }));
  await settleOptOuts(deps, optedOut, 'whatsapp');
  return answered();
}

export function createWhatsappEventRecorder(deps: Deps, options = { maxBatchSize: 200, maxInFlight: 2 }) {
  return createBatcher<MessageEventReport, WhatsappMessage>((reports) => recordWhatsappEvents(deps, reports), options);
}
