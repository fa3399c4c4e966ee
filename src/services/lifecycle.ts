import type { Db } from '../db/client.js';
import { appendCampaignEvent } from '../db/repositories/campaign-events.js';
import { lockCampaign, transitionCampaign } from '../db/repositories/campaigns.js';
import { finishCommand, lockCommand, markCommandRunning, type CommandResult } from '../db/repositories/commands.js';
import { PermanentFailure } from '../domain/errors.js';
import { decideLifecycle, type LifecycleCommand } from '../domain/lifecycle.js';
import type { Logger } from '../logger.js';
import { campaignOut } from './views.js';

export interface LifecycleDeps {
  db: Db;
  logger: Logger;
}

/**
 * Applies one lifecycle command inside a transaction that locks the campaign row, so
 * concurrent commands on a campaign run one after the other. The event row and the command's
 * result commit together with the status change; replaying a finished command returns the
 * recorded result and changes nothing.
 */
export async function runLifecycleCommand({ db, logger }: LifecycleDeps, commandId: string): Promise<CommandResult> {
  await markCommandRunning(db, commandId);
  return db.$transaction(async (tx) => {
    const command = await lockCommand(tx, commandId);
    if (!command) throw new PermanentFailure(`command ${commandId} does not exist`);
    if (command.result) return command.result as CommandResult;

    const finish = async (result: CommandResult) => {
      await finishCommand(tx, command.id, result);
      return result;
    };

    const campaign = await lockCampaign(tx, command.campaignId);
    if (!campaign) return finish({ ok: false, kind: 'not_found', detail: 'Campaign not found.' });

    const name = command.name as LifecycleCommand;
    const decision = decideLifecycle(campaign.status, name);
    if (decision.outcome === 'rejected') {
      const { kind, detail } = decision.error;
      logger.info({ campaign_id: campaign.id, command: name, status: campaign.status, detail }, 'command rejected');
      return finish({ ok: false, kind, detail });
    }

    const to = decision.outcome === 'transition' ? decision.to : decision.status;
    if (decision.outcome === 'transition' && !(await transitionCampaign(tx, campaign.id, decision.from, to))) {
      // Unreachable while the row lock is held; failing loudly beats recording a false transition.
      throw new Error(`campaign ${campaign.id} changed status under its row lock`);
    }
    await appendCampaignEvent(tx, {
      campaignId: campaign.id,
      command: name,
      fromStatus: campaign.status,
      toStatus: to,
      actor: command.actor,
      requestId: command.requestId,
      commandId: command.id,
    });
    const updated = await tx.campaign.findUniqueOrThrow({ where: { id: campaign.id } });
    logger.info(
      { campaign_id: campaign.id, command: name, from: campaign.status, to, changed: decision.outcome === 'transition' },
      'command applied',
    );
    return finish({ ok: true, body: { ...campaignOut(updated) } });
  });
}
