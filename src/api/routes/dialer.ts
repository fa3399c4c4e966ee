import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DispatchDecision } from '../../domain/dispatch-policy.js';
import type { ApiDeps } from '../context.js';
import { errorResponses, json } from '../openapi/responses.js';
import { callView, whatsappMessageView } from '../presenters.js';
import { ErrorDetail, uuidParam } from '../schemas/common.js';
import { CallOut, CallOutcomeIn, WhatsappEventIn, WhatsappMessageOut } from '../schemas/contact.js';

/** The dispatch decision as the HTTP transport answers it: 200 dial, 409 do not, 425 retry. */
function claimAnswer(decision: DispatchDecision): { status: 200 | 409 | 425; detail?: string } {
  switch (decision.kind) {
    case 'dial':
      return { status: 200 };
    case 'retry':
      return { status: 425, detail: 'The job is ahead of its row (its promotion is not recorded yet); retry the job shortly.' };
    case 'drop':
      return { status: 409, detail: `Do not dial: the job is stale or the call no longer needed (${decision.reason}); acknowledge the job.` };
    case 'cancel':
      return { status: 409, detail: 'Do not dial: the target is on the do-not-contact list; acknowledge the job.' };
    case 'hold':
      return { status: 409, detail: `Do not dial now (${decision.reason}): the call is handed out again later; acknowledge the job.` };
  }
}

/** What dialers and WhatsApp senders call: the dispatch guard and their reports. */
export const dialerRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { batched }) => {
  app.post(
    '/calls/:call_id/outcome',
    {
      schema: {
        tags: ['dialer'],
        summary: "Report a call's outcome",
        description: 'Reporting the same outcome twice is harmless; a different outcome for an ended call answers 409.',
        params: z.object({ call_id: uuidParam }),
        body: CallOutcomeIn,
        response: { 200: json(CallOut, 'The call as recorded.'), 409: json(ErrorDetail, 'The call ended otherwise, or was canceled.'), ...errorResponses },
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
        }),
      ),
  );

  app.post(
    '/calls/:call_id/claim',
    {
      schema: {
        tags: ['dialer'],
        summary: 'The dispatch guard, for dialers that do not use the helper',
        description:
          'Call before dialing, with the `promotion` of the job. 200: dial (the call is now `dialing`). 409: do not dial (campaign not running, call no longer needed, target on the do-not-contact list, pacing, or a stale job); acknowledge the job. 425: the job is ahead of its row; retry the job shortly.',
        params: z.object({ call_id: uuidParam }),
        body: z.object({ promotion: z.int().min(1).max(2_147_483_647) }),
        response: {
          200: json(z.object({ proceed: z.literal(true) }), 'Dial.'),
          409: json(ErrorDetail, 'Do not dial.'),
          425: json(ErrorDetail, 'Retry the job shortly.'),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const decision = await batched.claim({
        channel: 'call',
        id: request.params.call_id,
        promotion: request.body.promotion,
        organizationId: request.caller.organizationId,
      });
      const answer = claimAnswer(decision);
      if (answer.status === 200) return { proceed: true as const };
      return reply.code(answer.status).send({ detail: answer.detail! });
    },
  );

  app.post(
    '/whatsapp-messages/:message_id/events',
    {
      schema: {
        tags: ['dialer'],
        summary: 'Report a WhatsApp message event (sent, delivered, read, replied, failed)',
        params: z.object({ message_id: uuidParam }),
        body: WhatsappEventIn,
        response: { 200: json(WhatsappMessageOut, 'The message as recorded.'), ...errorResponses },
      },
    },
    async (request) =>
      whatsappMessageView(
        await batched.recordWhatsappEvent({
          messageId: request.params.message_id,
          organizationId: request.caller.organizationId,
          event: request.body.event,
        }),
      ),
  );
};
