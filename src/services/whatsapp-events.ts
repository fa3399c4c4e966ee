import { channelNamed } from '../channels.js';
import { saveMessageEvents, type MessageEventTimes, type WhatsappMessage } from '../db/repositories/messages.js';
import { lockMessages } from '../db/locks.js';
import { Conflict, NotFound } from '../domain/errors.js';
import { decideMessageEvent, type WhatsappEvent, type WhatsappStatus } from '../domain/whatsapp-status.js';
import { applyAfterCommit } from './after-commit.js';
import { createBatcher } from './batcher.js';
import { ownedRequests } from './owned-work.js';
import type { ServiceDeps } from './deps.js';
import { inReportTransaction } from './report-transaction.js';
import type { TargetChange } from './target-progress.js';

export interface MessageEventReport {
  messageId: string;
  organizationId?: string | undefined;
  event: WhatsappEvent;
}

const TIME_OF: Record<WhatsappEvent, keyof Omit<MessageEventTimes, 'id' | 'status'>> = {
  sent: 'sentAt',
  delivered: 'deliveredAt',
  read: 'readAt',
  replied: 'repliedAt',
  failed: 'failedAt',
};

type Deps = Pick<ServiceDeps, 'db' | 'queues' | 'clock' | 'logger'>;

/**
 * Records WhatsApp events in one transaction (`inReportTransaction`, as call outcomes): each event the
 * message's status allows (`decideMessageEvent`: claimed messages only, the first time of each
 * event counts); a reply reaches the target and ends its round.
 * A message that is its round's last step ends the round by being sent or failing: no work is
 * left after it.
 */
export async function recordWhatsappEvents(deps: Deps, reports: readonly MessageEventReport[]): Promise<Array<WhatsappMessage | Error>> {
  const results: Array<WhatsappMessage | Error | undefined> = reports.map(() => undefined);
  const accepted = await ownedRequests(deps, 'whatsapp', reports, (report) => report.messageId);
  // Unknown ids, and another organization's, are not found (errors made only for those).
  const answered = () => results.map((result) => result ?? new NotFound(channelNamed('whatsapp').notFound));
  if (accepted.length === 0) return answered();

  const now = deps.clock();
  const effects = await inReportTransaction(
    deps,
    accepted,
    (report) => report.messageId,
    lockMessages,
    async (wave, { tx, rows: messages }) => {
      const writes: MessageEventTimes[] = [];
      const changes: TargetChange[] = [];
      const writtenIndexes: number[] = [];
      for (const { request: report, index } of wave) {
        const message = messages.get(report.messageId)!;
        const column = TIME_OF[report.event];
        const decision = decideMessageEvent(
          { status: message.status as WhatsappStatus, cancelReason: message.cancelReason, alreadyRecorded: message[column] !== null },
          report.event,
        );
        if (decision.kind !== 'record') {
          results[index] = decision.kind === 'conflict' ? new Conflict(decision.detail) : message;
          continue;
        }
        writes.push({
          id: message.id,
          status: decision.status,
          sentAt: message.sentAt,
          deliveredAt: message.deliveredAt,
          readAt: message.readAt,
          repliedAt: message.repliedAt,
          failedAt: message.failedAt,
          [column]: now,
        });
        changes.push({ targetId: message.targetId, reachedNow: report.event === 'replied' });
        writtenIndexes.push(index);
      }
      for (const message of await saveMessageEvents(tx, writes, now)) messages.set(message.id, message);
      for (const index of writtenIndexes) results[index] = messages.get(reports[index]!.messageId)!;
      return changes;
    },
    now,
  );
  await applyAfterCommit(deps, effects);
  return answered();
}

export function createWhatsappEventRecorder(deps: Deps, options = { maxBatchSize: 200, maxInFlight: 2 }) {
  return createBatcher<MessageEventReport, WhatsappMessage>((reports) => recordWhatsappEvents(deps, reports), options);
}
