import { describe, expect, it } from 'vitest';
import { callStatuses, decideOutcome, type CallSnapshot, type CallStatus, type OutcomeDetails, type ReportedOutcome } from '../../src/domain/outcomes.js';
import { callOutcomes } from '../../src/domain/rounds.js';

const NONE: OutcomeDetails = { durationS: null, aiLabel: null, aiScore: null, summary: null, optOut: false };
const DETAILED: OutcomeDetails = { durationS: 94, aiLabel: 'positive', aiScore: 0.87, summary: 'Agreed to renew.', optOut: false };

const call = (status: CallStatus, details: OutcomeDetails = NONE, cancelReason: string | null = null): CallSnapshot => ({ status, cancelReason, ...details });
const report = (status: ReportedOutcome['status'], details: Partial<OutcomeDetails> = {}): ReportedOutcome => ({ status, ...NONE, ...details });

const RECORD = { kind: 'record' };
const DUPLICATE = { kind: 'duplicate' };
const conflict = (detail: string) => ({ kind: 'conflict', detail });
const NEVER_CLAIMED = conflict('The call was never claimed: claim it with POST /calls/{call_id}/claim before reporting its outcome.');

describe('decideOutcome', () => {
  // [the call, the report, the decision]
  const table: Array<[string, CallSnapshot, ReportedOutcome, object]> = [
    ['a dialing call takes any outcome', call('dialing'), report('answered', DETAILED), RECORD],
    ['a timed-out call takes the real outcome', call('timed_out', { ...NONE, summary: 'No outcome reported.' }), report('busy'), RECORD],
    ['a scheduled call was never claimed', call('scheduled'), report('no_answer'), NEVER_CLAIMED],
    ['a scheduled call was never claimed, whatever the details', call('scheduled'), report('answered', DETAILED), NEVER_CLAIMED],
    [
      'a canceled call says why',
      call('canceled', NONE, 'campaign_completed'),
      report('answered'),
      conflict('The call was canceled (campaign_completed) before it was dialed.'),
    ],
    ['a canceled call without a reason', call('canceled'), report('answered'), conflict('The call was canceled (no longer needed) before it was dialed.')],
    ['the identical bare outcome again', call('no_answer'), report('no_answer'), DUPLICATE],
    ['the identical detailed outcome again', call('answered', DETAILED), report('answered', DETAILED), DUPLICATE],
    [
      'another status for an ended call',
      call('no_answer'),
      report('answered'),
      conflict('The call already ended as no_answer; a different outcome cannot replace it.'),
    ],
    [
      'the same status, now with an opt-out',
      call('answered', DETAILED),
      report('answered', { ...DETAILED, optOut: true }),
      conflict('The call already ended as answered with other details (opt_out); only the identical report may be repeated.'),
    ],
    [
      'the same status, another duration',
      call('answered', DETAILED),
      report('answered', { ...DETAILED, durationS: 95 }),
      conflict('The call already ended as answered with other details (duration_s); only the identical report may be repeated.'),
    ],
    [
      'the same status, another evaluation',
      call('answered', DETAILED),
      report('answered', { ...DETAILED, aiLabel: 'negative', aiScore: 0.1 }),
      conflict('The call already ended as answered with other details (ai_label, ai_score); only the identical report may be repeated.'),
    ],
    [
      'the same status, another summary',
      call('answered', DETAILED),
      report('answered', { ...DETAILED, summary: 'Declined.' }),
      conflict('The call already ended as answered with other details (summary); only the identical report may be repeated.'),
    ],
    [
      'the same status with its details left out: absent differs from given',
      call('answered', DETAILED),
      report('answered'),
      conflict('The call already ended as answered with other details (duration_s, ai_label, ai_score, summary); only the identical report may be repeated.'),
    ],
    [
      'the same status with a detail added',
      call('busy'),
      report('busy', { durationS: 0 }),
      conflict('The call already ended as busy with other details (duration_s); only the identical report may be repeated.'),
    ],
    ['the sweep times out a dialing call', call('dialing'), report('timed_out'), RECORD],
  ];
  it.each(table)('%s', (_name, current, reported, expected) => {
    expect(decideOutcome(current, reported)).toEqual(expected);
  });

  it.each(callStatuses.filter((status) => status !== 'dialing'))('the sweep never overrides a %s call', (status) => {
    expect(decideOutcome(call(status), report('timed_out'))).toEqual(DUPLICATE);
  });

  it.each(callOutcomes)('only a claimed call takes %s: never a scheduled one', (outcome) => {
    expect(decideOutcome(call('dialing'), report(outcome))).toEqual(RECORD);
    expect(decideOutcome(call('scheduled'), report(outcome))).toEqual(NEVER_CLAIMED);
  });
});
