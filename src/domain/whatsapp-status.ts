export const whatsappEvents = ['sent', 'delivered', 'read', 'replied', 'failed'] as const;
export type WhatsappEvent = (typeof whatsappEvents)[number];

export const whatsappStatuses = ['queued', 'sending', 'sent', 'delivered', 'read', 'replied', 'failed', 'canceled'] as const;
export type WhatsappStatus = (typeof whatsappStatuses)[number];

// Events may arrive out of order (a read receipt before the delivery receipt): the status only
// moves forward. A failure after delivery (rare, but senders report it) does not undo delivery.
const RANK: Record<WhatsappStatus, number> = { queued: 0, canceled: 0, sending: 0, sent: 1, failed: 2, delivered: 3, read: 4, replied: 5 };

export function statusAfterEvent(current: WhatsappStatus, event: WhatsappEvent): WhatsappStatus {
  return RANK[event] > RANK[current] ? event : current;
}

export type MessageEventDecision = { kind: 'record'; status: WhatsappStatus } | { kind: 'duplicate' } | { kind: 'conflict'; detail: string };

/**
 * Whether an event applies to a message, as outcomes apply to calls (src/domain/outcomes.ts):
 * only a claimed message takes events. A `queued` one never passed the dispatch guard, and a
 * `canceled` one was canceled before any claim (only waiting work is canceled), so no event of
 * either can be true: each is refused and changes nothing. Otherwise the first time of each event
 * counts (`alreadyRecorded`: this event's time is set) and the status moves forward.
 */
export function decideMessageEvent(
  current: { status: WhatsappStatus; cancelReason: string | null; alreadyRecorded: boolean },
  event: WhatsappEvent,
): MessageEventDecision {
  if (current.status === 'queued') {
    return { kind: 'conflict', detail: 'The message was never claimed: claim it with POST /whatsapp-messages/{message_id}/claim before reporting its events.' };
  }
  if (current.status === 'canceled') {
    return { kind: 'conflict', detail: `The message was canceled (${current.cancelReason ?? 'no longer needed'}) before it was sent.` };
  }
  if (current.alreadyRecorded) return { kind: 'duplicate' };
  return { kind: 'record', status: statusAfterEvent(current.status, event) };
}
