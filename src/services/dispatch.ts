import type { Db } from '../db/client.js';
import { claimCall, claimMessage } from '../db/repositories/contacts.js';
import type { ClaimJobData, ClaimResult } from '../queues/payloads.js';
import type { Clock } from './clock.js';

/**
 * The guard every call and WhatsApp job passes before anyone is contacted: the campaign is
 * running, the row is still pending and the job is its current promotion. A call that passes
 * becomes `dialing`. A retried job of the same promotion passes again (the dialer crashed).
 */
export async function claimDispatch(db: Db, clock: Clock, claim: ClaimJobData): Promise<ClaimResult> {
  const claimed =
    claim.kind === 'call' ? await claimCall(db, claim.id, claim.promotion, clock()) : await claimMessage(db, claim.id, claim.promotion);
  return claimed ? { proceed: true } : { proceed: false, reason: 'campaign not running, or the work is no longer needed' };
}
