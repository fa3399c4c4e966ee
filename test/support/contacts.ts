import type { Job } from 'bullmq';
import {
  createDialerWorker,
  createEventReporter,
  createWhatsappWorker,
  type CallJobData,
  type CallOutcomeReport,
  type RunningHelper,
  type WhatsappJobData,
} from '../../src/dialer/index.js';
import type { Clock } from '../../src/services/clock.js';
import type { TestSystem } from './harness.js';

export interface Dial {
  data: CallJobData;
  at: Date;
}

/**
 * A dialer built on the exported helper. Each target scripts its calls in its variables:
 * `variables.calls` lists outcomes by round attempt order (default no_answer), e.g.
 * ["no_answer", {"status": "answered", "ai_label": "positive", "ai_score": 0.9}].
 */
export function startTestDialer(t: TestSystem, clock: Clock, options: { concurrency?: number } = {}) {
  const dials: Dial[] = [];
  const perTarget = new Map<string, number>();
  const helper: RunningHelper = createDialerWorker({
    connection: { url: t.config.REDIS_URL, maxRetriesPerRequest: null },
    prefix: t.config.QUEUE_PREFIX,
    concurrency: options.concurrency ?? 10,
    claimTimeoutMs: 10_000,
    handler: async (data: CallJobData, _job: Job): Promise<CallOutcomeReport> => {
      dials.push({ data, at: clock() });
      const index = perTarget.get(data.target_id) ?? 0;
      perTarget.set(data.target_id, index + 1);
      const script = (data.variables.calls as Array<string | CallOutcomeReport> | undefined) ?? [];
      const step = script[index] ?? 'no_answer';
      return typeof step === 'string' ? ({ status: step } as CallOutcomeReport) : step;
    },
  });
  return { dials, close: () => helper.close() };
}

/**
 * A WhatsApp sender built on the exported helper: sends everything; targets whose variables
 * say `reply: true` reply right after.
 */
export function startTestSender(t: TestSystem, replyTo: (data: WhatsappJobData) => boolean = () => false) {
  const sent: WhatsappJobData[] = [];
  const connection = { url: t.config.REDIS_URL, maxRetriesPerRequest: null };
  const reporter = createEventReporter({ connection, prefix: t.config.QUEUE_PREFIX });
  const helper = createWhatsappWorker({
    connection,
    prefix: t.config.QUEUE_PREFIX,
    claimTimeoutMs: 10_000,
    handler: async (data) => {
      sent.push(data);
      if (replyTo(data)) {
        setTimeout(() => void reporter.reportWhatsappEvent(data.message_id, 'replied'), 50);
      }
      return { status: 'sent' };
    },
  });
  return {
    sent,
    close: async () => {
      await helper.close();
      await reporter.close();
    },
  };
}
