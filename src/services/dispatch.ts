import type { Db } from '../db/client.js';
import { claimCall, claimMessage } from '../db/repositories/contacts.js';
import type { ClaimJobData, ClaimResult } from '../queues/payloads.js';
import type { Clock } from './clock.js';

const REASONS = {
  skip: 'campaign not running, or the work is no longer needed',
  not_yet: 'the job is ahead of its row; retry shortly',
} as const;

/**
 * The guard every call and WhatsApp job passes before anyone is contacted: the campaign is
 * running, the row is still pending and the job is its current promotion. A call that passes
 * becomes `dialing`. A retried job of the same promotion passes again (the dialer crashed).
 */
export async function claimDispatch(db: Db, clock: Clock, claim: ClaimJobData): Promise<ClaimResult> {
  const verdict = await db.$transaction((tx) =>
    claim.kind === 'call' ? claimCall(tx, claim.id, claim.promotion, clock()) : claimMessage(tx, claim.id, claim.promotion),
  );
  if (verdict === 'proceed') return { proceed: true };
  return { proceed: false, retry: verdict === 'not_yet', reason: REASONS[verdict] };
}
