import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { campaignStatuses } from '../../domain/lifecycle.js';
import { eventsOf } from '../../services/reads.js';
import type { ApiDeps } from '../context.js';
import { campaignEventView } from '../presenters.js';
import { errorResponses, json } from '../openapi/responses.js';
import { CampaignIdParams } from '../schemas/campaign.js';
import { CursorQuery, page } from '../schemas/common.js';

const CampaignEventOut = z
  .object({
    id: z.guid(),
    command: z.string(),
    from: z.enum(campaignStatuses),
    to: z.enum(campaignStatuses),
    actor: z.string(),
    request_id: z.string().nullable(),
    command_id: z.string().nullable(),
    reason: z
      .string()
      .nullable()
      .meta({ description: 'Why the system moved the campaign by itself: no_work_left (auto_complete), ends_at (scheduled_end); null for commands.' }),
    created_at: z.string(),
  })
  .meta({ id: 'CampaignEventOut', title: 'CampaignEventOut' });

export const eventRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { deps }) => {
  app.get(
    '/campaigns/:campaign_id/events',
    {
      schema: {
        tags: ['campaigns'],
        summary: "A campaign's audit log: every lifecycle command applied, oldest first",
        operationId: 'list_campaign_events',
        params: CampaignIdParams,
        querystring: CursorQuery,
        response: { 200: json(page(CampaignEventOut), 'A page of campaign events.'), ...errorResponses },
      },
    },
    async (request) => {
      const result = await eventsOf(deps, request.caller.organizationId, request.params.campaign_id, request.query);
      return { items: result.items.map(campaignEventView), next_cursor: result.nextCursor };
    },
  );
};
