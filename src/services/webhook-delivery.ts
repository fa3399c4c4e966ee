import { disableEndpoint, recordEndpointHealth } from '../db/repositories/webhook-endpoints.js';
import { deliveryToSend, failPendingDeliveries, postponeAttempt, recordAttempt, type DeliveryRef } from '../db/repositories/webhook-events.js';
import { decideAfterAttempt, deliveryStatusAfter, signatureHeader, signingSecrets, webhookBody } from '../domain/webhooks.js';
import { JobName } from '../queues/names.js';
import { deliveryJobId, enqueueDeliveries } from './after-commit.js';
import type { ServiceDeps } from './deps.js';

type Deps = Pick<ServiceDeps, 'db' | 'queues' | 'clock' | 'logger' | 'metrics' | 'settings'>;

/** Attempts of one endpoint in flight in this process at most: a slow receiver holds no more worker slots. */
export const IN_FLIGHT_PER_ENDPOINT = 4;
/** A job this much ahead of its attempt's due time is a stray copy (timers of Redis and this process may differ by less). */
const EARLY_MS = 5_000;

/** How long an attempt waits, queued again, when its endpoint has as many in flight. */
const BUSY_RETRY_MS = 1_000;

const inFlight = new Map<string, number>();

/**
 * One attempt of one delivery: signed with every secret that signs now (the previous one while
 * it has not expired), sent, and recorded; the next attempt is queued when the answer asks for
 * one, the endpoint disabled when it must be (410 Gone, five days of failures). A delivery that
 * is no longer pending (recorded by another attempt, or replayed) is left alone.
 */
export async function deliverWebhook(deps: Deps, job: DeliveryRef): Promise<{ status: string; attempts?: number }> {
  const delivery = await deliveryToSend(deps.db.sql, job.id);
  if (!delivery || delivery.status !== 'pending') return { status: delivery?.status ?? 'gone' };
  // A copy of a job whose attempt was made already, or that came before its time (the
  // reconciler's, a retry of a job that failed after recording): nothing to do.
  if (delivery.attempts !== job.attempts || delivery.nextAttemptAt.getTime() > deps.clock().getTime() + EARLY_MS) return { status: 'skipped' };
  const { webhooks } = deps.settings;
  if (!delivery.enabled) {
    await recordAttempt(
      deps.db.sql,
      delivery.id,
      delivery.attempts,
      { status: 'failed', nextAttemptAt: deps.clock(), lastStatusCode: null, lastError: 'the endpoint is disabled' },
      deps.clock(),
    );
    return { status: 'failed' };
  }
  const running = inFlight.get(delivery.endpointId) ?? 0;
  if (running >= IN_FLIGHT_PER_ENDPOINT) {
    // Its row says when it is due again, so the reconciler does not take it for lost meanwhile.
    const now = deps.clock();
    const at = new Date(now.getTime() + BUSY_RETRY_MS);
    if (await postponeAttempt(deps.db.sql, job, at, now)) {
      await deps.queues.add(JobName.DeliverWebhook, {
        data: { delivery_id: delivery.id, attempts: delivery.attempts },
        jobId: `${deliveryJobId(job)}-busy-${now.getTime()}`,
        delay: BUSY_RETRY_MS,
      });
    }
    return { status: 'busy' };
  }
  inFlight.set(delivery.endpointId, running + 1);
  try {
    const sentAt = deps.clock();
    const secrets = signingSecrets(delivery.secretSealed, delivery.previousSecretSealed, delivery.previousSecretExpiresAt, sentAt);
    const body = webhookBody({ ...delivery, createdAt: delivery.eventCreatedAt });
    const timestamp = Math.floor(sentAt.getTime() / 1000);
    const result = await webhooks.transport.send(delivery.url, body, {
      'content-type': 'application/json',
      'user-agent': 'campaign-execution-webhooks/1',
      'webhook-id': delivery.eventId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(
        secrets.map((sealed) => webhooks.secrets.open(sealed)),
        delivery.eventId,
        timestamp,
        body,
      ),
    });
    const now = deps.clock();
    const attempts = delivery.attempts + 1;
    const decision = decideAfterAttempt({
      result,
      attempts,
      failingSince: delivery.failingSince,
      now,
      delaysMs: webhooks.retryDelaysMs,
      random: Math.random(),
    });
    const recorded = await recordAttempt(
      deps.db.sql,
      delivery.id,
      delivery.attempts,
      {
        status: deliveryStatusAfter(decision),
        nextAttemptAt: decision.kind === 'retry' ? decision.at : now,
        lastStatusCode: 'status' in result ? result.status : null,
        lastError: 'error' in result ? result.error : decision.kind === 'disable' ? decision.reason : null,
      },
      now,
    );
    if (!recorded) return { status: 'pending' };
    await recordEndpointHealth(deps.db.sql, delivery.endpointId, decision.kind === 'delivered', now);
    deps.metrics.webhookAttempts.inc({ result: decision.kind });
    if (decision.kind === 'retry') await enqueueDeliveries(deps, [{ id: delivery.id, attempts }], decision.at, now);
    if (decision.kind === 'disable') {
      await disableEndpoint(deps.db.sql, delivery.endpointId, decision.reason, now);
      await failPendingDeliveries(deps.db.sql, delivery.endpointId, `the endpoint was disabled: ${decision.reason}`, now);
      deps.logger.warn({ endpoint_id: delivery.endpointId, reason: decision.reason }, 'webhook endpoint disabled');
    }
    return { status: decision.kind, attempts };
  } finally {
    const left = (inFlight.get(delivery.endpointId) ?? 1) - 1;
    if (left > 0) inFlight.set(delivery.endpointId, left);
    else inFlight.delete(delivery.endpointId);
  }
}
