import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { campaignStats } from '../../services/campaign-stats.js';
import { getCampaign } from '../../services/campaigns.js';
import { callsOf } from '../../services/reads.js';
import type { ApiDeps } from '../context.js';
import { errorResponses, json } from '../openapi/responses.js';
import { callView, statsView } from '../presenters.js';
import { CampaignIdParams } from '../schemas/campaign.js';
import { page } from '../schemas/common.js';
import { CallListQuery, CallOut, CampaignStats } from '../schemas/contact.js';

/** What a campaign's contacts look like: its calls, and counts by state and status. */
export const campaignReportRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { deps }) => {
  app.get(
    '/campaigns/:campaign_id/calls',
    {
      schema: {
        tags: ['campaigns'],
        summary: "A campaign's calls, filtered by status and target",
        operationId: 'list_calls',
        params: CampaignIdParams,
        querystring: CallListQuery,
        response: { 200: json(page(CallOut), 'A page of calls.'), ...errorResponses },
      },
    },
    async (request) => {
      const { status, target_id, ...pageRequest } = request.query;
      const result = await callsOf(deps, request.caller.organizationId, request.params.campaign_id, { status, targetId: target_id }, pageRequest);
      return { items: result.items.map(callView), next_cursor: result.nextCursor };
    },
  );

  app.get(
    '/campaigns/:campaign_id/stats',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'Targets by state, calls and messages by status, progress',
        operationId: 'get_campaign_stats',
        params: CampaignIdParams,
        response: { 200: json(CampaignStats, 'Counts as of now.'), ...errorResponses },
      },
    },
    async (request) => statsView(await campaignStats(deps, await getCampaign(deps, request.caller.organizationId, request.params.campaign_id))),
  );
};
