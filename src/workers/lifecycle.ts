import { failCommand } from '../db/repositories/commands.js';
import { jobCatalog } from '../queues/catalog.js';
import { JobName } from '../queues/names.js';
import { runLifecycleCommand } from '../services/lifecycle.js';
import { isFinalAttempt, type JobHandler } from './handler.js';

export const lifecycleCommandHandler: JobHandler = async (job, deps) => {
  const { command_id } = jobCatalog[JobName.LifecycleCommand].schema.parse(job.data);
  try {
    return await runLifecycleCommand(deps, command_id);
  } catch (error) {
    if (isFinalAttempt(job, error)) await failCommand(deps.db, command_id).catch(() => undefined);
    throw error;
  }
};
