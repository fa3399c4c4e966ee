import { createOutcomeRecorder } from './call-outcomes.js';
import type { ServiceDeps } from './deps.js';
import { createClaimer } from './dispatch.js';
import { createLifecycleApplier, createSettler } from './lifecycle.js';
import { createWhatsappEventRecorder } from './whatsapp-events.js';

/**
 * The hot-path use cases, one request at a time for callers and batched underneath (group
 * commit). One set per process, shared by the HTTP routes and the workers, so reports arriving
 * over both transports go into the same transactions.
 */
export function createBatchedUseCases(deps: ServiceDeps) {
  return {
    claim: createClaimer(deps),
    recordCallOutcome: createOutcomeRecorder(deps),
    recordWhatsappEvent: createWhatsappEventRecorder(deps),
    applyLifecycleCommand: createLifecycleApplier(deps),
    settleCampaign: createSettler(deps),
  };
}

export type BatchedUseCases = ReturnType<typeof createBatchedUseCases>;
