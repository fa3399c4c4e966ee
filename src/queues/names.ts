/**
 * Queue and job names are a wire format shared with dialers and operators' dashboards:
 * never rename one without a migration plan.
 */
export const QueueName = {
  Lifecycle: 'campaign-lifecycle',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const JobName = {
  LifecycleCommand: 'lifecycle-command',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];
