/**
 * Queue and job names are a wire format shared with dialers, WhatsApp senders and operators'
 * dashboards: never rename one without a migration plan.
 */
export const QueueName = {
  Lifecycle: 'campaign-lifecycle',
  Scheduler: 'campaign-scheduler',
  Calls: 'campaign-calls',
  Whatsapp: 'campaign-whatsapp',
  /** Claims and reports sent by the dialer and WhatsApp helpers. */
  Dispatch: 'campaign-dispatch',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const JobName = {
  LifecycleCommand: 'lifecycle-command',
  SettleCampaign: 'settle-campaign',
  HopperTick: 'hopper-tick',
  Reconcile: 'reconcile',
  Call: 'call',
  Whatsapp: 'whatsapp',
  Claim: 'claim',
  CallOutcome: 'call-outcome',
  WhatsappEvent: 'whatsapp-event',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];
