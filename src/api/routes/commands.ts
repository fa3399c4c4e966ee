import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getCommand } from '../../services/commands.js';
import { commandView } from '../command-reply.js';
import type { ApiDeps } from '../context.js';
import { errorResponses, json } from '../openapi/responses.js';
import { CommandOut } from '../schemas/command.js';
import { guid } from '../schemas/common.js';

export const commandRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { deps }) => {
  app.get(
    '/commands/:command_id',
    {
      schema: {
        tags: ['campaign-execution'],
        summary: 'Status and result of a lifecycle command',
        operationId: 'get_command',
        params: z.object({ command_id: guid() }),
        response: { 200: json(CommandOut, 'The command.'), ...errorResponses },
      },
    },
    async (request) => {
      const { command, rollout } = await getCommand(deps, request.caller.organizationId, request.params.command_id);
      return commandView(command, rollout);
    },
  );
};
