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
