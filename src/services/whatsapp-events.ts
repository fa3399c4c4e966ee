import type { WhatsappMessage } from '../generated/prisma/client.js';
import { lockTarget } from '../db/repositories/contacts.js';
import { NotFound } from '../domain/errors.js';
import { statusAfterEvent } from '../domain/whatsapp-status.js';
import type { WhatsappEvent } from '../queues/payloads.js';
import { applyAfterCommit } from './after-commit.js';
import type { OutcomeDeps } from './call-outcomes.js';
import { progressTarget } from './target-progress.js';

const TIMESTAMP_OF = {
  sent: 'sentAt',
  delivered: 'deliveredAt',
  read: 'readAt',
  replied: 'repliedAt',
  failed: 'failedAt',
} as const satisfies Record<WhatsappEvent, keyof WhatsappMessage>;

/**
 * Records a WhatsApp event. The first time of each event counts (a repeat changes nothing); a
 * reply reaches the target and ends its round. A message that is the round's last step ends the
 * round by being sent or failing, which needs nothing more: no work is left after it.
 */
export async function recordWhatsappEvent(
  deps: OutcomeDeps,
  input: { messageId: string; organizationId?: string; event: WhatsappEvent },
): Promise<WhatsappMessage> {
  const { message, effects } = await deps.db.$transaction(async (tx) => {
    const found = await tx.whatsappMessage.findUnique({ where: { id: input.messageId }, include: { campaign: true } });
    if (!found || (input.organizationId && found.campaign.organizationId !== input.organizationId)) {
      throw new NotFound('WhatsApp message not found.');
    }
    const target = (await lockTarget(tx, found.targetId))!;
    const current = await tx.whatsappMessage.findUniqueOrThrow({ where: { id: found.id } });
    const column = TIMESTAMP_OF[input.event];
    if (current[column] !== null) return { message: current, effects: {} };
    const now = deps.clock();
    const message = await tx.whatsappMessage.update({
      where: { id: current.id },
      data: { [column]: now, status: statusAfterEvent(current.status, input.event), promotedAt: null },
    });
    const effects = await progressTarget(tx, {
      campaign: found.campaign,
      target,
      now,
      reachedNow: input.event === 'replied',
      trigger: `whatsapp-${message.id}-${input.event}`,
    });
    return { message, effects };
  });
  deps.logger.info({ message_id: message.id, campaign_id: message.campaignId, event: input.event }, 'whatsapp event recorded');
  await applyAfterCommit(deps.queues, deps.logger, effects);
  return message;
}
