import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { channelNames, type ChannelName } from '../../domain/channel-names.js';
import { claimAnswerOf, claimWordsOf } from '../../services/claim-answers.js';
import type { ApiDeps } from '../context.js';
import { errorResponses, json } from '../openapi/responses.js';
import { callView, whatsappMessageView } from '../presenters.js';
import { ErrorDetail, guid } from '../schemas/common.js';
import { CallOut, CallOutcomeIn, WhatsappEventIn, WhatsappMessageOut } from '../schemas/contact.js';

const ClaimIn = z.object({ promotion: z.int().min(1).max(2_147_483_647) }).meta({ id: 'ClaimIn', title: 'ClaimIn' });

/** The HTTP guard's route of each channel; its words come from the channel (claimWordsOf). */
const claimRoutes: Record<ChannelName, { path: string; id: string; operationId: string; audience: string }> = {
  call: { path: '/calls/:call_id/claim', id: 'call_id', operationId: 'claim_call', audience: 'dialers' },
  whatsapp: { path: '/whatsapp-messages/:message_id/claim', id: 'message_id', operationId: 'claim_whatsapp_message', audience: 'WhatsApp senders' },
};

/** What dialers and WhatsApp senders call: the dispatch guard and their reports. */
export const dialerRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { batched }) => {
  app.post(
    '/calls/:call_id/outcome',
    {
      schema: {
        tags: ['dialer'],
        summary: "Report a call's outcome",
        operationId: 'report_call_outcome',
        description:
          'Only a claimed call takes an outcome: claim it first (`POST /calls/{call_id}/claim`). Reporting the identical outcome again (the same status and every detail equal, a field left out only matching a field left out) answers 200 and changes nothing. 409: the call was never claimed, was canceled before it was dialed, or already ended with another status or with other details. A `timed_out` call takes the real outcome.',
        params: z.object({ call_id: guid() }),
        body: CallOutcomeIn,
        response: {
          200: json(CallOut, 'The call as recorded.'),
          409: json(ErrorDetail, 'The call was never claimed, was canceled, or already ended with another outcome or other details; nothing was changed.'),
          ...errorResponses,
        },
      },
    },
    async (request) =>
      callView(
        await batched.recordCallOutcome({
          callId: request.params.call_id,
          organizationId: request.caller.organizationId,
          status: request.body.status,
          durationS: request.body.duration_s,
          aiLabel: request.body.ai_label,
          aiScore: request.body.ai_score,
          summary: request.body.summary,
          optOut: request.body.opt_out,
        }),
      ),
  );

  // The guard over HTTP, one route per channel: the same answers, in the channel's words.
  for (const channel of channelNames) {
    const route = claimRoutes[channel];
    const { act, noun, claimed } = claimWordsOf(channel);
    app.post(
      route.path,
      {
        schema: {
          tags: ['dialer'],
          summary: `The dispatch guard, for ${route.audience} that do not use the helper`,
          operationId: route.operationId,
          description: `Call before you ${act}, with the \`promotion\` of the job. 200: ${act} (the ${noun} is now \`${claimed}\`). 409: do not ${act} (campaign not running, ${noun} no longer needed, target on the do-not-contact list, pacing, expiry, or a stale job); acknowledge the job. 425: the job is ahead of its row; retry the job shortly.`,
          params: z.object({ [route.id]: guid() }),
          body: ClaimIn,
          response: {
            200: json(z.object({ proceed: z.literal(true) }), `${act[0]!.toUpperCase()}${act.slice(1)}.`),
            409: json(ErrorDetail, `Do not ${act}.`),
            425: json(ErrorDetail, 'Retry the job shortly.'),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const decision = await batched.claim({
          channel,
          id: request.params[route.id]!,
          promotion: request.body.promotion,
          organizationId: request.caller.organizationId,
        });
        const { http } = claimAnswerOf(decision, channel);
        return reply.code(http.status).send(http.body);
      },
    );
  }

  app.post(
    '/whatsapp-messages/:message_id/events',
    {
      schema: {
        tags: ['dialer'],
        summary: 'Report a WhatsApp message event (sent, delivered, read, replied, failed)',
        operationId: 'report_whatsapp_event',
        description:
          'Only a claimed message takes events: claim it first (`POST /whatsapp-messages/{message_id}/claim`). The first report of each event counts; a repeat answers 200 and changes nothing. 409: the message was never claimed, or was canceled before it was claimed.',
        params: z.object({ message_id: guid() }),
        body: WhatsappEventIn,
        response: {
          200: json(WhatsappMessageOut, 'The message as recorded.'),
          409: json(ErrorDetail, 'The message was never claimed, or was canceled; nothing was changed.'),
          ...errorResponses,
        },
      },
    },
    async (request) =>
      whatsappMessageView(
        await batched.recordWhatsappEvent({
          messageId: request.params.message_id,
          organizationId: request.caller.organizationId,
          event: request.body.event,
          text: request.body.text,
        }),
      ),
  );
};
