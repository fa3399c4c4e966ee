import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { createCommandSubmitter } from '../../services/commands.js';
import { sendSubmitted } from '../command-reply.js';
import type { ApiDeps } from '../context.js';
import { idempotencyKeyOf } from '../idempotency-key.js';
import { errorResponses, json, validationError } from '../openapi/responses.js';
import { CommandAccepted } from '../schemas/command.js';
import { ErrorDetail } from '../schemas/common.js';
import { CampaignIdParams, CampaignOut, CampaignResumeRequest, CampaignResumeResult, ExecutionQuery } from '../schemas/campaign.js';

const ApiKeyHeader = z.looseObject({ 'x-api-key': z.string().optional().meta({ title: 'X-Api-Key' }) });

interface ExecutionRequest {
  caller: FastifyRequest['caller'];
  id: string;
  headers: FastifyRequest['headers'];
  params: { campaign_id: string };
  query: { agent_id?: string | undefined };
}

const commandRequest = (request: ExecutionRequest) => ({
  caller: request.caller,
  campaignId: request.params.campaign_id,
  requestId: request.id,
  agentId: request.query.agent_id,
  idempotencyKey: idempotencyKeyOf(request.headers),
});

const contract = { tags: ['campaign-execution'], params: CampaignIdParams, querystring: ExecutionQuery, headers: ApiKeyHeader };
const campaignAnswer = { 200: json(CampaignOut, 'Request completed successfully.'), 422: validationError };

// Start, resume and complete are documented exactly as the execution contract
// (docs/execution-contract.openapi.json); their other answers (202 while pending, 400/401/404/409/503
// as `{detail}`) are described in docs/api.md, "Lifecycle commands". Pause is not part of the
// contract: its document lists every answer.
export const executionRoutesPlugin: FastifyPluginAsyncZod<ApiDeps> = async (app, { deps, config, lifecycleEvents }) => {
  const submit = createCommandSubmitter({
    ...deps,
    lifecycleEvents,
    commandWaitMs: config.COMMAND_WAIT_MS,
    redisCommandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
  });

  app.post(
    '/campaigns/:campaign_id/start',
    {
      schema: {
        ...contract,
        summary: 'Start Campaign',
        description:
          "Set campaign status to 'running' if allowed.\n\nRules:\n- from draft/paused -> running\n- if already running -> idempotent\n- if done -> 400 (cannot restart)",
        operationId: 'start_campaign_campaigns__campaign_id__start_post',
        response: campaignAnswer,
      },
    },
    async (request, reply) => sendSubmitted(reply, await submit({ ...commandRequest(request), command: 'start' })),
  );

  app.post(
    '/campaigns/:campaign_id/pause',
    {
      schema: {
        ...contract,
        summary: 'Pause Campaign',
        description: 'Pause a running campaign: pending work stays pending until it runs again. Pausing a paused campaign is idempotent.',
        operationId: 'pause_campaign_campaigns__campaign_id__pause_post',
        response: {
          ...campaignAnswer,
          202: json(CommandAccepted, 'The command is accepted and still running: poll GET /commands/{command_id}.'),
          409: json(ErrorDetail, 'The campaign is in draft or done: it cannot be paused.'),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => sendSubmitted(reply, await submit({ ...commandRequest(request), command: 'pause' })),
  );

  app.post(
    '/campaigns/:campaign_id/resume',
    {
      schema: {
        ...contract,
        summary: 'Resume Campaign',
        description: 'Resume a completed or paused campaign for a practical target segment.',
        operationId: 'resume_campaign_campaigns__campaign_id__resume_post',
        body: CampaignResumeRequest,
        response: { 200: json(CampaignResumeResult, 'Request completed successfully.'), 422: validationError },
      },
    },
    async (request, reply) => {
      const submitted = await submit({ ...commandRequest(request), command: 'resume', params: { segment: request.body.segment } });
      // The body carries skipped_do_not_contact beyond the execution contract's fields (which allow extras):
      // serialized as is, not through the documented schema that would drop it.
      return sendSubmitted(reply.serializer(JSON.stringify), submitted);
    },
  );

  app.post(
    '/campaigns/:campaign_id/complete',
    {
      schema: {
        ...contract,
        summary: 'Complete Campaign',
        operationId: 'complete_campaign_campaigns__campaign_id__complete_post',
        response: campaignAnswer,
      },
    },
    async (request, reply) => sendSubmitted(reply, await submit({ ...commandRequest(request), command: 'complete' })),
  );
};
