import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { createCampaignFor, getCampaign, updateCampaignFor } from '../../services/campaigns.js';
import { campaignsOf } from '../../services/reads.js';
import { settingsFromCreate, settingsFromUpdate } from '../campaign-settings.js';
import type { ApiDeps } from '../context.js';
import { campaignView } from '../presenters.js';
import { errorResponses, json } from '../openapi/responses.js';
import { CampaignCreate, CampaignIdParams, CampaignResource, CampaignUpdate } from '../schemas/campaign.js';
import { CursorQuery, ErrorDetail, page } from '../schemas/common.js';

const tags = ['campaigns'];

export const campaignRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { deps }) => {
  app.post(
    '/campaigns',
    {
      schema: {
        tags,
        summary: 'Create a campaign (draft)',
        operationId: 'create_campaign',
        body: CampaignCreate,
        response: { 201: json(CampaignResource, 'The new campaign, in draft.'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const campaign = await createCampaignFor(deps, request.caller.organizationId, settingsFromCreate(request.body));
      return reply.code(201).send(campaignView(campaign));
    },
  );

  app.get(
    '/campaigns',
    {
      schema: {
        tags,
        summary: "List the organization's campaigns",
        operationId: 'list_campaigns',
        querystring: CursorQuery,
        response: { 200: json(page(CampaignResource), 'A page of campaigns, oldest first.'), ...errorResponses },
      },
    },
    async (request) => {
      const result = await campaignsOf(deps, request.caller.organizationId, request.query);
      return { items: result.items.map(campaignView), next_cursor: result.nextCursor };
    },
  );

  app.get(
    '/campaigns/:campaign_id',
    {
      schema: {
        tags,
        summary: 'Get a campaign',
        operationId: 'get_campaign',
        params: CampaignIdParams,
        response: { 200: json(CampaignResource, 'The campaign.'), ...errorResponses },
      },
    },
    async (request) => campaignView(await getCampaign(deps, request.caller.organizationId, request.params.campaign_id)),
  );

  app.patch(
    '/campaigns/:campaign_id',
    {
      schema: {
        tags,
        summary: 'Change settings of a draft or paused campaign',
        operationId: 'update_campaign',
        params: CampaignIdParams,
        body: CampaignUpdate,
        response: {
          200: json(CampaignResource, 'The campaign after the change.'),
          409: json(ErrorDetail, 'The campaign is running or done.'),
          ...errorResponses,
        },
      },
    },
    async (request) => campaignView(await updateCampaignFor(deps, request.caller.organizationId, request.params.campaign_id, settingsFromUpdate(request.body))),
  );
};
