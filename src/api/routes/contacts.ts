import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listCalls } from '../../db/repositories/calls.js';
import { NotFound } from '../../domain/errors.js';
import { recordCallOutcome } from '../../services/call-outcomes.js';
import { claimDispatch } from '../../services/dispatch.js';
import { campaignStats } from '../../services/campaign-stats.js';
import { getCampaign } from '../../services/campaigns.js';
import { recordTargetEvent } from '../../services/target-events.js';
import { callView, whatsappMessageView } from '../../services/views.js';
import { recordWhatsappEvent } from '../../services/whatsapp-events.js';
import type { ApiDeps } from '../context.js';
import { errorResponses, json } from '../openapi/responses.js';
import { CampaignIdParams } from '../schemas/campaign.js';
import { ErrorDetail, guid, page } from '../schemas/common.js';
import { int32 } from '../schemas/input-checks.js';
import { CallListQuery, CallOut, CallOutcomeIn, CampaignStats, TargetEventIn, WhatsappEventIn, WhatsappMessageOut } from '../schemas/contact.js';

const id = guid();

/** Dialer and messaging reports, and what a campaign's contacts look like. */
export const contactRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.post(
    '/calls/:call_id/outcome',
    {
      schema: {
        tags: ['dialer'],
        summary: "Report a call's outcome",
        description: 'Reporting the same outcome twice is harmless; a different outcome for an ended call answers 409.',
        params: z.object({ call_id: id }),
        body: CallOutcomeIn,
        response: { 200: json(CallOut, 'The call as recorded.'), 409: json(ErrorDetail, 'The call ended otherwise, or was canceled.'), ...errorResponses },
      },
    },
    async (request) =>
      callView(
        await recordCallOutcome(deps, { callId: request.params.call_id, organizationId: request.caller.organizationId, report: request.body }),
      ),
  );

  app.post(
    '/calls/:call_id/claim',
    {
      schema: {
        tags: ['dialer'],
        summary: 'The dispatch guard, for dialers that do not use the helper',
        description:
          'Call before dialing, with the `promotion` of the job. 200: dial (the call is now `dialing`). 409: do not dial (campaign not running, call no longer needed, or a stale job); acknowledge the job. 425: the job is ahead of its row; retry the job shortly.',
        params: z.object({ call_id: id }),
        body: z.object({ promotion: int32().min(1) }),
        response: {
          200: json(z.object({ proceed: z.literal(true) }), 'Dial.'),
          409: json(ErrorDetail, 'Do not dial.'),
          425: json(ErrorDetail, 'Retry the job shortly.'),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const call = await deps.db.call.findFirst({
        where: { id: request.params.call_id, campaign: { organizationId: request.caller.organizationId } },
        select: { id: true },
      });
      if (!call) throw new NotFound('Call not found.');
      const verdict = await claimDispatch(deps.db, deps.clock, { kind: 'call', id: call.id, promotion: request.body.promotion });
      if (verdict.proceed) return { proceed: true as const };
      return reply.code(verdict.retry ? 425 : 409).send({ detail: `Do not dial now: ${verdict.reason}.` });
    },
  );

  app.post(
    '/whatsapp-messages/:message_id/events',
    {
      schema: {
        tags: ['dialer'],
        summary: 'Report a WhatsApp message event (sent, delivered, read, replied, failed)',
        params: z.object({ message_id: id }),
        body: WhatsappEventIn,
        response: { 200: json(WhatsappMessageOut, 'The message as recorded.'), ...errorResponses },
      },
    },
    async (request) =>
      whatsappMessageView(
        await recordWhatsappEvent(deps, {
          messageId: request.params.message_id,
          organizationId: request.caller.organizationId,
          event: request.body.event,
        }),
      ),
  );

  app.post(
    '/campaigns/:campaign_id/targets/:target_id/events',
    {
      schema: {
        tags: ['targets'],
        summary: 'Report an email sent to a target, or an AI evaluation of it',
        params: CampaignIdParams.extend({ target_id: id }),
        body: TargetEventIn,
        response: { 200: json(z.object({ target_state: z.string() }), "The target's state after the event."), ...errorResponses },
      },
    },
    async (request) =>
      recordTargetEvent(deps, {
        organizationId: request.caller.organizationId,
        campaignId: request.params.campaign_id,
        targetId: request.params.target_id,
        event: request.body,
        requestId: request.id,
      }),
  );

  app.get(
    '/campaigns/:campaign_id/calls',
    {
      schema: {
        tags: ['campaigns'],
        summary: "A campaign's calls, filtered by status and target",
        params: CampaignIdParams,
        querystring: CallListQuery,
        response: { 200: json(page(CallOut), 'A page of calls.'), ...errorResponses },
      },
    },
    async (request) => {
      const campaign = await getCampaign(deps.db, request.caller.organizationId, request.params.campaign_id);
      const { status, target_id, ...pageRequest } = request.query;
      const result = await listCalls(deps.db, campaign.id, { status, targetId: target_id }, pageRequest);
      return { items: result.items.map(callView), next_cursor: result.nextCursor };
    },
  );

  app.get(
    '/campaigns/:campaign_id/stats',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'Targets by state, calls and messages by status, progress',
        params: CampaignIdParams,
        response: { 200: json(CampaignStats, 'Counts as of now.'), ...errorResponses },
      },
    },
    async (request) => {
      const campaign = await getCampaign(deps.db, request.caller.organizationId, request.params.campaign_id);
      return campaignStats(deps.db, campaign);
    },
  );
};
