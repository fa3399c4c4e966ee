import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { targetsOf } from '../../services/reads.js';
import { addTargets } from '../../services/targets.js';
import type { ApiDeps } from '../context.js';
import { targetView } from '../presenters.js';
import { checkJsonRowCount, registerTargetBodyParsers, TARGET_MEDIA_TYPES, validateTargetRows } from '../targets-import.js';
import { errorResponses, json } from '../openapi/responses.js';
import { CampaignIdParams } from '../schemas/campaign.js';
import { CursorQuery, ErrorDetail, page } from '../schemas/common.js';
import { TargetBatch, TargetBatchResult, TargetOut } from '../schemas/target.js';

const tags = ['targets'];

export const targetRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { deps, config }) => {
  registerTargetBodyParsers(app);

  app.post(
    '/campaigns/:campaign_id/targets',
    {
      bodyLimit: config.TARGETS_BODY_MAX_BYTES,
      schema: {
        tags,
        summary: 'Add targets in bulk',
        operationId: 'add_targets',
        description:
          'A JSON array of up to 10,000 targets, or for bulk loads up to 100,000 as `text/csv` (a header row naming columns among customer_id, name, phone, whatsapp, email, timezone and `var_<name>` for `variables.<name>`; empty cells are absent) or `application/x-ndjson` (one target object per line). ' +
          'Rows are numbered from 0 in the order sent (a CSV header and blank lines are not rows). Each row is validated on its own: valid rows are inserted, duplicates (same customer_id, else same phone) and invalid rows are reported with their index.',
        params: CampaignIdParams,
        consumes: TARGET_MEDIA_TYPES,
        body: TargetBatch,
        response: {
          200: json(TargetBatchResult, 'What was inserted, and why the other rows were not.'),
          409: json(ErrorDetail, 'The campaign is running.'),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      checkJsonRowCount(request, request.body);
      const { valid, invalid } = await validateTargetRows(request.body);
      const { inserted, duplicates } = await addTargets(deps, request.caller.organizationId, request.params.campaign_id, valid);
      return { inserted, duplicates, invalid };
    },
  );

  app.get(
    '/campaigns/:campaign_id/targets',
    {
      schema: {
        tags,
        summary: "List a campaign's targets",
        operationId: 'list_targets',
        params: CampaignIdParams,
        querystring: CursorQuery,
        response: { 200: json(page(TargetOut), 'A page of targets.'), ...errorResponses },
      },
    },
    async (request) => {
      const result = await targetsOf(deps, request.caller.organizationId, request.params.campaign_id, request.query);
      return { items: result.items.map(targetView), next_cursor: result.nextCursor };
    },
  );
};
