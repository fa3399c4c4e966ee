import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideMessageEvent,
  statusAfterEvent,
  whatsappEvents,
  whatsappStatuses,
  type WhatsappEvent,
  type WhatsappStatus,
} from '../../src/domain/whatsapp-status.js';

// Events may arrive out of order: the status only moves forward, along
// queued → sent → failed → delivered → read → replied (a failure reported after delivery does not
// undo the delivery).
const FORWARD: WhatsappStatus[] = ['queued', 'sent', 'failed', 'delivered', 'read', 'replied'];
const position = (status: WhatsappStatus) => FORWARD.indexOf(status);

const fold = (events: readonly WhatsappEvent[], from: WhatsappStatus = 'queued') =>
  events.reduce<WhatsappStatus>((status, event) => statusAfterEvent(status, event), from);

describe('statusAfterEvent', () => {
  it.each(whatsappEvents)('a queued message takes any first event (%s)', (event) => {
    expect(statusAfterEvent('queued', event)).toBe(event);
  });

  it('in-order events move the status step by step', () => {
    expect(statusAfterEvent('queued', 'sent')).toBe('sent');
    expect(statusAfterEvent('sent', 'delivered')).toBe('delivered');
    expect(statusAfterEvent('delivered', 'read')).toBe('read');
    expect(statusAfterEvent('read', 'replied')).toBe('replied');
    expect(statusAfterEvent('sent', 'failed')).toBe('failed');
  });

  it.each(whatsappEvents)('repeating an event changes nothing (%s)', (event) => {
    expect(statusAfterEvent(event, event)).toBe(event);
  });

  // [current, late event, status kept]
  const late: Array<[WhatsappStatus, WhatsappEvent, WhatsappStatus]> = [
    ['read', 'delivered', 'read'],
    ['read', 'sent', 'read'],
    ['delivered', 'sent', 'delivered'],
    ['replied', 'read', 'replied'],
    ['replied', 'delivered', 'replied'],
    ['replied', 'sent', 'replied'],
    ['failed', 'sent', 'failed'],
    // A failure reported after delivery does not undo it.
    ['delivered', 'failed', 'delivered'],
    ['read', 'failed', 'read'],
    ['replied', 'failed', 'replied'],
  ];
  it.each(late)('%s stays %s after a late %s', (current, event, expected) => {
    expect(statusAfterEvent(current, event)).toBe(expected);
  });

  // Receipts that skip a step (read before the delivery receipt) still move forward.
  const skipping: Array<[WhatsappStatus, WhatsappEvent]> = [
    ['queued', 'read'],
    ['queued', 'replied'],
    ['sent', 'read'],
    ['sent', 'replied'],
    ['delivered', 'replied'],
    // Delivery, a read receipt or a reply proves a reported failure wrong.
    ['failed', 'delivered'],
    ['failed', 'read'],
    ['failed', 'replied'],
  ];
  it.each(skipping)('%s moves forward to %s', (current, event) => {
    expect(statusAfterEvent(current, event)).toBe(event);
  });

  it('read receipt before delivery receipt, then the reply: ends replied', () => {
    expect(fold(['sent', 'read', 'delivered'])).toBe('read');
    expect(fold(['read', 'sent', 'delivered', 'replied'])).toBe('replied');
  });

  it('property: from any non-canceled status the result is the current status or the event, never behind the current one', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FORWARD), fc.constantFrom(...whatsappEvents), (current, event) => {
        const next = statusAfterEvent(current, event);
        expect([current, event]).toContain(next);
        expect(position(next)).toBeGreaterThanOrEqual(position(current));
        expect(position(next)).toBeGreaterThanOrEqual(position(event));
      }),
    );
  });

  it('property: the final status does not depend on the order the events arrived in', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.constantFrom(...whatsappEvents), { minLength: 1, maxLength: 8 })
          .chain((events) => fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }))),
        ([events, shuffled]) => {
          const furthest = events.reduce((a, b) => (position(b) > position(a) ? b : a));
          expect(fold(events)).toBe(furthest);
          expect(fold(shuffled)).toBe(furthest);
        },
      ),
    );
  });
});

describe('decideMessageEvent', () => {
  const message = (status: WhatsappStatus, alreadyRecorded = false, cancelReason: string | null = null) => ({ status, cancelReason, alreadyRecorded });
  const NEVER_CLAIMED = {
    kind: 'conflict',
    detail: 'The message was never claimed: claim it with POST /whatsapp-messages/{message_id}/claim before reporting its events.',
  };

  it.each(whatsappEvents)('a queued message was never claimed: %s is refused', (event) => {
    expect(decideMessageEvent(message('queued'), event)).toEqual(NEVER_CLAIMED);
  });

  it.each(whatsappEvents)('a canceled message takes no %s, and says why it was canceled', (event) => {
    expect(decideMessageEvent(message('canceled', false, 'campaign_completed'), event)).toEqual({
      kind: 'conflict',
      detail: 'The message was canceled (campaign_completed) before it was sent.',
    });
    expect(decideMessageEvent(message('canceled'), event)).toEqual({
      kind: 'conflict',
      detail: 'The message was canceled (no longer needed) before it was sent.',
    });
  });

  it.each(whatsappEvents)('a claimed (sending) message takes %s as its status', (event) => {
    expect(decideMessageEvent(message('sending'), event)).toEqual({ kind: 'record', status: event });
  });

  // [current status, event, decision]
  const table: Array<[WhatsappStatus, WhatsappEvent, boolean, object]> = [
    ['sent', 'delivered', false, { kind: 'record', status: 'delivered' }],
    ['read', 'delivered', false, { kind: 'record', status: 'read' }],
    ['delivered', 'failed', false, { kind: 'record', status: 'delivered' }],
    ['sent', 'sent', true, { kind: 'duplicate' }],
    ['replied', 'replied', true, { kind: 'duplicate' }],
    ['replied', 'sent', true, { kind: 'duplicate' }],
  ];
  it.each(table)('%s, then %s (already recorded: %s)', (status, event, alreadyRecorded, expected) => {
    expect(decideMessageEvent(message(status, alreadyRecorded), event)).toEqual(expected);
  });

  it('property: a claimed message never goes back, and only queued or canceled ones refuse events', () => {
    fc.assert(
      fc.property(fc.constantFrom(...whatsappStatuses), fc.constantFrom(...whatsappEvents), fc.boolean(), (status, event, alreadyRecorded) => {
        const decision = decideMessageEvent(message(status, alreadyRecorded), event);
        if (status === 'queued' || status === 'canceled') expect(decision.kind).toBe('conflict');
        else if (alreadyRecorded) expect(decision).toEqual({ kind: 'duplicate' });
        else expect(decision).toEqual({ kind: 'record', status: statusAfterEvent(status, event) });
      }),
    );
  });
});
