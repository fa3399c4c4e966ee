import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { LifecycleCommand } from '../../domain/lifecycle.js';
import { submitCommand } from '../../services/commands.js';
import { sendSubmitted } from '../command-reply.js';
import type { ApiDeps } from '../context.js';
import { json, validationError } from '../openapi/responses.js';
import { CampaignIdParams, CampaignOut, ExecutionQuery } from '../schemas/campaign.js';

const ApiKeyHeader = z.looseObject({ 'x-api-key': z.string().optional().meta({ title: 'X-Api-Key' }) });

interface ExecutionRoute {
  command: LifecycleCommand;
  operationId: string;
  summary: string;
  description?: string;
}

// Documented exactly as the public contract (spec/campaign-execution.openapi.json); the other
// answers (202 while pending, 400/401/404/409/503 as `{detail}`) are described in the README.
const executionRoutes: ExecutionRoute[] = [
  {
    command: 'start',
    operationId: 'start_campaign_campaigns__campaign_id__start_post',
    summary: 'Start Campaign',
    description:
      "Set campaign status to 'running' if allowed.\n\nRules:\n- from draft/paused -> running\n- if already running -> idempotent\n- if done -> 400 (cannot restart)",
  },
  {
    command: 'pause',
    operationId: 'pause_campaign_campaigns__campaign_id__pause_post',
    summary: 'Pause Campaign',
    description: 'Pause a running campaign: pending work stays pending until it runs again. Pausing a paused campaign is idempotent.',
  },
  {
    command: 'complete',
    operationId: 'complete_campaign_campaigns__campaign_id__complete_post',
    summary: 'Complete Campaign',
  },
];

export const executionRoutesPlugin: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  for (const route of executionRoutes) {
    app.post(
      `/campaigns/:campaign_id/${route.command}`,
      {
        schema: {
          tags: ['campaign-execution'],
          summary: route.summary,
          ...(route.description ? { description: route.description } : {}),
          operationId: route.operationId,
          params: CampaignIdParams,
          querystring: ExecutionQuery,
          headers: ApiKeyHeader,
          response: { 200: json(CampaignOut, 'Request completed successfully.'), 422: validationError },
        },
      },
      async (request, reply) => {
        const submitted = await submitCommand(
          { ...deps, commandWaitMs: deps.config.COMMAND_WAIT_MS },
          {
            caller: request.caller,
            campaignId: request.params.campaign_id,
            command: route.command,
            requestId: request.id,
            agentId: request.query.agent_id,
          },
        );
        return sendSubmitted(reply, submitted);
      },
    );
  }
};
