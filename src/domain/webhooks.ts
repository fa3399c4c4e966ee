import { createHmac } from 'node:crypto';
import ipaddr from 'ipaddr.js';

/**
 * Signed webhooks (docs/webhooks.md), per the Standard Webhooks specification: the event types,
 * the signature, the retry schedule and what an attempt's answer decides. Pure.
 */

export const webhookEventTypes = [
  'campaign.status_changed',
  'campaign.completed',
  'target.reached',
  'target.goal_met',
  'target.round_ended',
  'call.ended',
  'whatsapp.replied',
  'target.opted_out',
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

/** A secret as shown to its owner: `whsec_` and the base64 of its bytes. */
export const SECRET_PREFIX = 'whsec_';

const keyOf = (secret: string) => Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');

/**
 * The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` for each
 * secret that signs now, separated by spaces (a receiver accepts the message if one matches).
 */
export function signatureHeader(secrets: readonly string[], id: string, timestamp: number, body: string): string {
  return secrets.map((secret) => `v1,${createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`).join(' ');
}

/**
 * Delays before each retry: the specification's suggested schedule (5 s, 5 min, 30 min, 2 h,
 * 5 h, 10 h, 10 h), stretched by two more to about three days.
 */
export const DEFAULT_RETRY_DELAYS_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000, 50_400_000, 72_000_000] as const;

/** An endpoint whose every attempt failed for this long is disabled. */
export const DISABLE_AFTER_FAILING_MS = 5 * 24 * 3_600_000;

/** Jitter: each delay is moved by up to a tenth, either way, so retries of many events spread. */
const JITTER = 0.1;

/** What an attempt got: an HTTP status, or an error (timeout, refused connection, refused address). */
export type AttemptResult = { status: number } | { error: string };

export type AttemptDecision =
  | { kind: 'delivered' }
  | { kind: 'retry'; at: Date }
  | { kind: 'failed' }
  /** The endpoint is disabled (410 Gone, or failing too long); this delivery fails with it. */
  | { kind: 'disable'; reason: string };

/**
 * After attempt number `attempts` (1 for the first): a 2xx delivers; 410 Gone disables the
 * endpoint; an endpoint failing for five days is disabled; anything else is retried on the
 * schedule until it runs out. `random` is in [0, 1).
 */
export function decideAfterAttempt(input: {
  result: AttemptResult;
  attempts: number;
  failingSince: Date | null;
  now: Date;
  delaysMs: readonly number[];
  random: number;
}): AttemptDecision {
  const { result, now } = input;
  if ('status' in result && result.status >= 200 && result.status < 300) return { kind: 'delivered' };
  if ('status' in result && result.status === 410) return { kind: 'disable', reason: 'the endpoint answered 410 Gone' };
  const since = input.failingSince ?? now;
  if (now.getTime() - since.getTime() >= DISABLE_AFTER_FAILING_MS) return { kind: 'disable', reason: 'every delivery failed for 5 days' };
  const delay = input.delaysMs[input.attempts - 1];
  if (delay === undefined) return { kind: 'failed' };
  return { kind: 'retry', at: new Date(now.getTime() + Math.round(delay * (1 + JITTER * (2 * input.random - 1)))) };
}

/** Whether an address may be called without WEBHOOK_ALLOW_PRIVATE_URLS: public unicast only. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
}

/** Why a URL cannot be an endpoint (null: it can, its addresses permitting): https, unless private URLs are allowed. */
export function urlProblem(url: string, allowPrivate: boolean): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute URL';
  }
  if (parsed.protocol !== 'https:' && !(allowPrivate && parsed.protocol === 'http:')) return 'must be an https URL';
  if (parsed.username || parsed.password) return 'must not carry credentials';
  const host = hostOf(parsed);
  if (!allowPrivate && ipaddr.isValid(host) && !isPublicAddress(host)) return 'must resolve to a public address';
  return null;
}

/** A URL's host as name resolution and address checks take it (an IPv6 address without its brackets). */
export const hostOf = (url: URL | string) => (typeof url === 'string' ? new URL(url) : url).hostname.replace(/^\[|\]$/g, '');

/** The body receivers get, per the specification: type, timestamp (of the change), data (with the event's sequence). */
export function webhookBody(event: { type: string; createdAt: Date; data: Record<string, unknown>; sequence: string | number }): string {
  return JSON.stringify({ type: event.type, timestamp: event.createdAt.toISOString(), data: { ...event.data, sequence: Number(event.sequence) } });
}

/** The secrets that sign now: the current one, and the one rotated out until it expires. */
export function signingSecrets<S>(current: S, previous: S | null, previousExpiresAt: Date | null, now: Date): S[] {
  return previous !== null && previousExpiresAt !== null && previousExpiresAt > now ? [current, previous] : [current];
}

/** A delivery's status after an attempt's decision: pending while retried, failed when given up or disabled. */
export const deliveryStatusAfter = (decision: AttemptDecision): 'delivered' | 'pending' | 'failed' =>
  decision.kind === 'delivered' ? 'delivered' : decision.kind === 'retry' ? 'pending' : 'failed';
