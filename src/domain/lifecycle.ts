import { BadRequest, InvalidTransition, type DomainError } from './errors.js';

export const campaignStatuses = ['draft', 'running', 'paused', 'done'] as const;
export type CampaignStatus = (typeof campaignStatuses)[number];

export const lifecycleCommands = ['start', 'pause', 'resume', 'complete'] as const;
export type LifecycleCommand = (typeof lifecycleCommands)[number];

export type LifecycleDecision =
  { kind: 'transition'; from: CampaignStatus; to: CampaignStatus } | { kind: 'unchanged'; status: CampaignStatus } | { kind: 'rejected'; error: DomainError };

const transition = (from: CampaignStatus, to: CampaignStatus): LifecycleDecision =>
  from === to ? { kind: 'unchanged', status: from } : { kind: 'transition', from, to };

const rejected = (error: DomainError): LifecycleDecision => ({ kind: 'rejected', error });

/** The lifecycle table of docs/product.md, one command at a time. */
export function decideLifecycle(status: CampaignStatus, command: LifecycleCommand): LifecycleDecision {
  switch (command) {
    case 'start':
      if (status === 'done') return rejected(new BadRequest('A done campaign cannot be restarted.'));
      return transition(status, 'running');
    case 'pause':
      if (status === 'running' || status === 'paused') return transition(status, 'paused');
      return rejected(new InvalidTransition(`A ${status} campaign cannot be paused; only a running campaign can.`));
    case 'resume':
      if (status === 'paused' || status === 'done') return transition(status, 'running');
      return rejected(
        new InvalidTransition(
          status === 'draft'
            ? 'A draft campaign cannot be resumed; start it instead.'
            : 'A running campaign cannot be resumed; pause it first, or wait until it is done.',
        ),
      );
    case 'complete':
      return transition(status, 'done');
  }
}

/** Campaign settings may change only while nothing runs on them. */
export const editableStatuses = ['draft', 'paused'] as const satisfies readonly CampaignStatus[];

/** What a status change does to the campaign's contact work (docs/product.md, "Lifecycle"). */
export type LifecycleEffect =
  /** First start: every target gets its first round. */
  | 'open_rounds'
  /** Start after pause: pending rows are promoted again. */
  | 'resume_pending'
  /** Resume: a segment's targets get a new round (and a paused campaign's pending rows run again). */
  | 'open_segment_rounds'
  /** Pause: promoted jobs leave Redis, rows stay pending. */
  | 'withdraw_promoted'
  /** Complete: every pending call and message is canceled. */
  | 'cancel_pending'
  | 'none';

export function lifecycleEffect(command: LifecycleCommand, from: CampaignStatus, to: CampaignStatus): LifecycleEffect {
  if (from === to) return 'none';
  if (command === 'resume') return 'open_segment_rounds';
  if (to === 'running') return from === 'draft' ? 'open_rounds' : 'resume_pending';
  if (to === 'paused') return 'withdraw_promoted';
  if (to === 'done') return 'cancel_pending';
  return 'none';
}

export const resumeSegments = ['not_answered', 'not_contacted', 'failed', 'unresolved'] as const;
export type ResumeSegment = (typeof resumeSegments)[number];
