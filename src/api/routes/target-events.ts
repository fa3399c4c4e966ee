import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { targetStates } from '../../domain/target-state.js';
import { recordTargetEvent } from '../../services/target-events.js';
import type { ApiDeps } from '../context.js';
import { idempotencyKeyOf } from '../idempotency-key.js';
import { errorResponses, json } from '../openapi/responses.js';
import { CampaignIdParams } from '../schemas/campaign.js';
import { ErrorDetail, guid } from '../schemas/common.js';
import { TargetEventIn } from '../schemas/contact.js';

// Documents the header; idempotencyKeyOf checks its value as the lifecycle routes do.
const IdempotencyKeyHeader = z.looseObject({
  'idempotency-key': z
    .string()
    .optional()
    .meta({ title: 'Idempotency-Key', description: "1 to 255 visible ASCII characters naming this report among the target's events." }),
});

/** Reports about a target from elsewhere (an email sent, an AI evaluation): they count toward its goal. */
export const targetEventRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { deps }) => {
  app.post(
    '/campaigns/:campaign_id/targets/:target_id/events',
    {
      schema: {
        tags: ['targets'],
        summary: 'Report an email sent to a target, or an AI evaluation of it',
        operationId: 'report_target_event',
        description:
          'A retried report counts once. It is recognised by its `Idempotency-Key` header when it has one (unique per target), else, for `email_sent`, by its `occurred_at`; an `email_sent` with neither, or an `ai_evaluation` without a key, is always a new report. A repeat answers 200 with the answer of the first report and changes nothing. 409: the key was already used for a different event of this target.',
        params: CampaignIdParams.extend({ target_id: guid() }),
        headers: IdempotencyKeyHeader,
        body: TargetEventIn,
        response: {
          200: json(z.object({ target_state: z.enum(targetStates) }), "The target's state after the event (for a repeat: the first report's answer)."),
          409: json(ErrorDetail, 'The Idempotency-Key was already used for a different event of this target; nothing was changed.'),
          ...errorResponses,
        },
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
        idempotencyKey: idempotencyKeyOf(request.headers),
      });
      return { target_state: targetState };
    },
  );
};
