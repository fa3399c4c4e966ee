import type { QueueEvents } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { DependencyMonitor } from '../dependencies.js';
import type { BatchedUseCases } from '../services/batched.js';
import type { ServiceDeps } from '../services/deps.js';

/** What the HTTP layer needs from the rest of the system. */
export interface ApiDeps {
  config: Config;
  deps: ServiceDeps;
  batched: BatchedUseCases;
  lifecycleEvents: QueueEvents;
  monitor: DependencyMonitor;
  /** The producer connection, pinged by /readyz. */
  redis: Redis | Cluster;
}
