import type { WebhookEndpoint } from '../../generated/prisma/client.js';
import { toPage, type Page, type PageRequest } from '../pagination.js';
import { empty, raw, sql, type Db } from '../sql.js';

export type { WebhookEndpoint };

const COLUMNS = raw(`id, organization_id AS "organizationId", url, description, events, enabled, disabled_reason AS "disabledReason",
  secret_sealed AS "secretSealed", previous_secret_sealed AS "previousSecretSealed", previous_secret_expires_at AS "previousSecretExpiresAt",
  failing_since AS "failingSince", created_at AS "createdAt", updated_at AS "updatedAt"`);

export interface NewEndpoint {
  url: string;
  description: string | null;
  events: string[];
  secretSealed: string;
}

export async function insertEndpoint(db: Db, organizationId: string, endpoint: NewEndpoint, now: Date): Promise<WebhookEndpoint> {
  const [row] = await db.query<WebhookEndpoint>(sql`
    INSERT INTO webhook_endpoints (id, organization_id, url, description, events, secret_sealed, created_at, updated_at)
    VALUES (uuid_generate_v7(), ${organizationId}::uuid, ${endpoint.url}, ${endpoint.description}, ${endpoint.events}::text[], ${endpoint.secretSealed}, ${now}, ${now})
    RETURNING ${COLUMNS}`);
  return row!;
}

export async function findEndpoint(db: Db, organizationId: string, id: string): Promise<WebhookEndpoint | null> {
  const [row] = await db.query<WebhookEndpoint>(sql`
    SELECT ${COLUMNS} FROM webhook_endpoints WHERE id = ${id}::uuid AND organization_id = ${organizationId}::uuid`);
  return row ?? null;
}

export async function listEndpoints(db: Db, organizationId: string, page: PageRequest): Promise<Page<WebhookEndpoint>> {
  const rows = await db.query<WebhookEndpoint>(sql`
    SELECT ${COLUMNS} FROM webhook_endpoints WHERE organization_id = ${organizationId}::uuid
      ${page.cursor ? sql`AND id > ${page.cursor}::uuid` : empty}
    ORDER BY id LIMIT ${page.limit + 1}`);
  return toPage(rows, page.limit);
}

export interface EndpointChange {
  url?: string;
  description?: string | null;
  events?: string[];
  enabled?: boolean;
}

/** Changes an endpoint; enabling it again clears why it was disabled and its failing streak. */
export async function updateEndpoint(db: Db, organizationId: string, id: string, change: EndpointChange, now: Date): Promise<WebhookEndpoint | null> {
  const [row] = await db.query<WebhookEndpoint>(sql`
    UPDATE webhook_endpoints SET
      url = coalesce(${change.url ?? null}, url),
      description = ${change.description === undefined ? raw('description') : sql`${change.description}`},
      events = coalesce(${change.events ?? null}::text[], events),
      enabled = coalesce(${change.enabled ?? null}::boolean, enabled),
      disabled_reason = CASE WHEN ${change.enabled ?? null}::boolean THEN NULL ELSE disabled_reason END,
      failing_since = CASE WHEN ${change.enabled ?? null}::boolean THEN NULL ELSE failing_since END,
      updated_at = ${now}
    WHERE id = ${id}::uuid AND organization_id = ${organizationId}::uuid
    RETURNING ${COLUMNS}`);
  return row ?? null;
}

export async function deleteEndpoint(db: Db, organizationId: string, id: string): Promise<WebhookEndpoint | null> {
  const [row] = await db.query<WebhookEndpoint>(sql`
    DELETE FROM webhook_endpoints WHERE id = ${id}::uuid AND organization_id = ${organizationId}::uuid RETURNING ${COLUMNS}`);
  return row ?? null;
}

/** A new signing secret; the current one keeps signing until `previousExpiresAt`. */
export async function rotateSecret(
  db: Db,
  organizationId: string,
  id: string,
  secretSealed: string,
  previousExpiresAt: Date,
  now: Date,
): Promise<WebhookEndpoint | null> {
  const [row] = await db.query<WebhookEndpoint>(sql`
    UPDATE webhook_endpoints SET previous_secret_sealed = secret_sealed, previous_secret_expires_at = ${previousExpiresAt},
      secret_sealed = ${secretSealed}, updated_at = ${now}
    WHERE id = ${id}::uuid AND organization_id = ${organizationId}::uuid
    RETURNING ${COLUMNS}`);
  return row ?? null;
}

/** The endpoint is disabled, and says why. */
export async function disableEndpoint(db: Db, id: string, reason: string, now: Date): Promise<void> {
  await db.query(sql`UPDATE webhook_endpoints SET enabled = false, disabled_reason = ${reason}, updated_at = ${now} WHERE id = ${id}::uuid`);
}

/** An attempt's effect on the endpoint's failing streak: a success ends it, a failure starts it if none runs. */
export async function recordEndpointHealth(db: Db, id: string, succeeded: boolean, now: Date): Promise<void> {
  await db.query(sql`
    UPDATE webhook_endpoints SET failing_since = ${succeeded ? null : sql`coalesce(failing_since, ${now})`}
    WHERE id = ${id}::uuid AND failing_since IS ${succeeded ? raw('NOT NULL') : raw('NULL')}`);
}
