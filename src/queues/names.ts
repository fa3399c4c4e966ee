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
  /** Webhook deliveries (docs/webhooks.md). */
  Webhooks: 'campaign-webhooks',
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
  DeliverWebhook: 'deliver-webhook',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/**
 * The BullMQ prefix of one queue. On a single Redis (or behind Sentinel) every queue uses the
 * system's prefix as is. On a Redis Cluster each queue gets a hash tag of its own
 * (`{<prefix>:<queue>}`): BullMQ's scripts touch several keys of a queue at once, so those keys
 * must share a slot, and different queues land in different slots, spread over the nodes.
 * Dialers and senders derive it the same way (the helper does by itself on a Cluster connection).
 */
export function queuePrefix(prefix: string, queue: QueueName, cluster: boolean): string {
  return cluster ? `{${prefix}:${queue}}` : prefix;
}

/** Whether a BullMQ connection is an ioredis Cluster (it says so itself), not a single connection or its options. */
export const isClusterConnection = (connection: object): boolean => (connection as { isCluster?: boolean }).isCluster === true;
