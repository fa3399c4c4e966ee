import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { targetStates } from '../../domain/target-state.js';
import { recordTargetEvent } from '../../services/target-events.js';
import type { ApiDeps } from '../context.js';
import { errorResponses, json } from '../openapi/responses.js';
import { CampaignIdParams } from '../schemas/campaign.js';
import { guid } from '../schemas/common.js';
import { TargetEventIn } from '../schemas/contact.js';

/** Reports about a target from elsewhere (an email sent, an AI evaluation): they count toward its goal. */
export const targetEventRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { deps }) => {
  app.post(
    '/campaigns/:campaign_id/targets/:target_id/events',
    {
      schema: {
        tags: ['targets'],
        summary: 'Report an email sent to a target, or an AI evaluation of it',
        operationId: 'report_target_event',
        params: CampaignIdParams.extend({ target_id: guid() }),
        body: TargetEventIn,
        response: { 200: json(z.object({ target_state: z.enum(targetStates) }), "The target's state after the event."), ...errorResponses },
      },
    },
    async (request) => {
      const { body } = request;
      const { targetState } = await recordTargetEvent(deps, {
        organizationId: request.caller.organizationId,
        campaignId: request.params.campaign_id,
        targetId: request.params.target_id,
        event:
          body.type === 'email_sent'
            ? { type: 'email_sent', occurredAt: body.occurred_at === undefined ? undefined : new Date(body.occurred_at) }
            : { type: 'ai_evaluation', label: body.label, score: body.score },
      });
      return { target_state: targetState };
    },
  );
};
