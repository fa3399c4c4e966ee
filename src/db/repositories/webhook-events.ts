import type { WebhookDelivery } from '../../generated/prisma/client.js';
import { toPage, type Page, type PageRequest } from '../pagination.js';
import { empty, raw, sql, type Db, type Sql } from '../sql.js';

/** An event to write: the organization it belongs to, its type and its data. */
export interface NewWebhookEvent {
  organizationId: string;
  type: string;
  data: Record<string, unknown>;
}

/** A delivery to attempt: its id and how many attempts it has had (its job id says both). */
export interface DeliveryRef {
  id: string;
  attempts: number;
}

/** The enabled endpoints of an organization that take an event of this type (alias `p`; the event's columns as given). */
const takes = (organization: Sql, type: Sql) => sql`p.organization_id = ${organization} AND p.enabled AND (p.events = '{}' OR ${type} = ANY(p.events))`;

/**
 * The outbox: writes the events (in the given order, each taking the next `sequence`) and one
 * delivery per event and enabled endpoint that takes its type, in the caller's transaction.
 * Events no endpoint takes are not written. Returns the deliveries to queue after commit.
 */
export async function appendWebhookEvents(tx: Db, events: readonly NewWebhookEvent[], now: Date): Promise<DeliveryRef[]> {
  if (events.length === 0) return [];
  return tx.query<DeliveryRef>(sql`
    WITH e AS (
      SELECT x.organization_id, x.type, x.data, x.n
      FROM unnest(${events.map((event) => event.organizationId)}::uuid[], ${events.map((event) => event.type)}::text[],
                  ${events.map((event) => JSON.stringify(event.data))}::jsonb[]) WITH ORDINALITY AS x(organization_id, type, data, n)
      WHERE EXISTS (SELECT 1 FROM webhook_endpoints p WHERE ${takes(raw('x.organization_id'), raw('x.type'))})
    ),
    inserted AS (
      INSERT INTO webhook_events (id, organization_id, type, data, created_at)
      SELECT uuid_generate_v7(), organization_id, type, data, ${now} FROM e ORDER BY n
      RETURNING id, organization_id, type
    )
    INSERT INTO webhook_deliveries (id, endpoint_id, event_id, next_attempt_at, created_at, updated_at)
    SELECT uuid_generate_v7(), p.id, i.id, ${now}, ${now}, ${now}
    FROM inserted i JOIN webhook_endpoints p ON ${takes(raw('i.organization_id'), raw('i.type'))}
    RETURNING id, attempts`);
}

/** What one attempt needs: the delivery, its event and its endpoint. */
export interface DeliveryToSend {
  id: string;
  status: string;
  attempts: number;
  nextAttemptAt: Date;
  eventId: string;
  type: string;
  sequence: string;
  data: Record<string, unknown>;
  eventCreatedAt: Date;
  endpointId: string;
  url: string;
  enabled: boolean;
  secretSealed: string;
  previousSecretSealed: string | null;
  previousSecretExpiresAt: Date | null;
  failingSince: Date | null;
}

export async function deliveryToSend(db: Db, id: string): Promise<DeliveryToSend | null> {
  const [row] = await db.query<DeliveryToSend>(sql`
    SELECT d.id, d.status, d.attempts, d.next_attempt_at AS "nextAttemptAt", e.id AS "eventId", e.type, e.sequence::text AS sequence, e.data, e.created_at AS "eventCreatedAt",
           p.id AS "endpointId", p.url, p.enabled, p.secret_sealed AS "secretSealed", p.previous_secret_sealed AS "previousSecretSealed",
           p.previous_secret_expires_at AS "previousSecretExpiresAt", p.failing_since AS "failingSince"
    FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id JOIN webhook_endpoints p ON p.id = d.endpoint_id
    WHERE d.id = ${id}::uuid`);
  return row ?? null;
}

export interface AttemptRecord {
  status: 'pending' | 'delivered' | 'failed';
  nextAttemptAt: Date;
  lastStatusCode: number | null;
  lastError: string | null;
}

/**
 * Records attempt number `attemptsBefore + 1`, only if no other process recorded it first (a
 * job delivered twice records once). Returns whether it was recorded.
 */
export async function recordAttempt(db: Db, id: string, attemptsBefore: number, record: AttemptRecord, now: Date): Promise<boolean> {
  const rows = await db.query(sql`
    UPDATE webhook_deliveries SET status = ${record.status}, attempts = attempts + 1, next_attempt_at = ${record.nextAttemptAt},
      last_status_code = ${record.lastStatusCode}, last_error = ${record.lastError},
      delivered_at = ${record.status === 'delivered' ? sql`${now}` : raw('NULL')}, updated_at = ${now}
    WHERE id = ${id}::uuid AND status = 'pending' AND attempts = ${attemptsBefore}
    RETURNING id`);
  return rows.length > 0;
}

/** The pending attempt waits until `at` (its endpoint is busy); false when it was made meanwhile. */
export async function postponeAttempt(db: Db, delivery: DeliveryRef, at: Date, now: Date): Promise<boolean> {
  const rows = await db.query(sql`
    UPDATE webhook_deliveries SET next_attempt_at = ${at}, updated_at = ${now}
    WHERE id = ${delivery.id}::uuid AND status = 'pending' AND attempts = ${delivery.attempts}
    RETURNING id`);
  return rows.length > 0;
}

/** Pending deliveries of a disabled endpoint fail with it. */
export async function failPendingDeliveries(db: Db, endpointId: string, reason: string, now: Date): Promise<void> {
  await db.query(sql`
    UPDATE webhook_deliveries SET status = 'failed', last_error = ${reason}, updated_at = ${now}
    WHERE endpoint_id = ${endpointId}::uuid AND status = 'pending'`);
}

export interface DeliveryView extends Pick<
  WebhookDelivery,
  'id' | 'eventId' | 'status' | 'attempts' | 'lastStatusCode' | 'lastError' | 'deliveredAt' | 'createdAt'
> {
  type: string;
  sequence: string;
  nextAttemptAt: Date | null;
}

/** A page of an endpoint's deliveries, oldest first; optionally of one status. */
export async function listDeliveries(db: Db, endpointId: string, filter: { status?: string | undefined }, page: PageRequest): Promise<Page<DeliveryView>> {
  const rows = await db.query<DeliveryView>(sql`
    SELECT d.id, d.event_id AS "eventId", e.type, e.sequence::text AS sequence, d.status, d.attempts,
           CASE WHEN d.status = 'pending' THEN d.next_attempt_at END AS "nextAttemptAt",
           d.last_status_code AS "lastStatusCode", d.last_error AS "lastError", d.delivered_at AS "deliveredAt", d.created_at AS "createdAt"
    FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
    WHERE d.endpoint_id = ${endpointId}::uuid
      ${filter.status ? sql`AND d.status = ${filter.status}` : empty}
      ${page.cursor ? sql`AND d.id > ${page.cursor}::uuid` : empty}
    ORDER BY d.id LIMIT ${page.limit + 1}`);
  return toPage(rows, page.limit);
}

/** At most this many events are replayed by one request. */
export const REPLAY_LIMIT = 10_000;

/**
 * New deliveries to the endpoint of one event of its organization, or of every event since a
 * time that the endpoint takes (oldest first, at most REPLAY_LIMIT). Receivers see the same
 * `webhook-id`: a replay of an event they have is theirs to ignore.
 */
export async function replayDeliveries(
  db: Db,
  endpoint: { id: string; organizationId: string },
  what: { eventId: string } | { since: Date },
  now: Date,
): Promise<DeliveryRef[]> {
  const events =
    'eventId' in what
      ? sql`SELECT e.id FROM webhook_events e WHERE e.id = ${what.eventId}::uuid AND e.organization_id = ${endpoint.organizationId}::uuid`
      : sql`SELECT e.id FROM webhook_events e JOIN webhook_endpoints p ON p.id = ${endpoint.id}::uuid
            WHERE e.organization_id = ${endpoint.organizationId}::uuid AND e.created_at >= ${what.since} AND (p.events = '{}' OR e.type = ANY(p.events))
            ORDER BY e.created_at, e.sequence LIMIT ${REPLAY_LIMIT}`;
  return db.query<DeliveryRef>(sql`
    INSERT INTO webhook_deliveries (id, endpoint_id, event_id, next_attempt_at, created_at, updated_at)
    SELECT uuid_generate_v7(), ${endpoint.id}::uuid, x.id, ${now}, ${now}, ${now} FROM (${events}) x
    RETURNING id, attempts`);
}

/** Pending deliveries whose attempt was due before `before`: their job should have run (Redis may have lost it). */
export async function overdueDeliveries(db: Db, before: Date, limit: number): Promise<DeliveryRef[]> {
  return db.query<DeliveryRef>(sql`
    SELECT id, attempts FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at < ${before}
    ORDER BY next_attempt_at LIMIT ${limit}`);
}
