import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { contactPolicyOf, replaceContactPolicy } from '../../services/contact-policy.js';
import type { ApiDeps } from '../context.js';
import { errorResponses, json } from '../openapi/responses.js';
import { contactPolicyView } from '../presenters.js';
import { ContactPolicyIn, ContactPolicyOut } from '../schemas/contact-policy.js';

const tags = ['contact-policy'];

/** The organization's contact policy: caps on calls to one number, and opt-out keywords. */
export const contactPolicyRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { deps }) => {
  app.get(
    '/contact-policy',
    {
      schema: {
        tags,
        summary: "The organization's contact policy (defaults when never set)",
        operationId: 'get_contact_policy',
        response: { 200: json(ContactPolicyOut, 'The policy in force.'), ...errorResponses },
      },
    },
    async (request) => contactPolicyView(await contactPolicyOf(deps, request.caller.organizationId)),
  );

  app.put(
    '/contact-policy',
    {
      schema: {
        tags,
        summary: "Replace the organization's contact policy",
        operationId: 'put_contact_policy',
        description: 'Caps count calls dialed (claimed with a dial decision) to one E.164 number in every campaign of the organization; checked at dispatch.',
        body: ContactPolicyIn,
        response: { 200: json(ContactPolicyOut, 'The policy as stored.'), ...errorResponses },
      },
    },
    async (request) =>
      contactPolicyView(
        await replaceContactPolicy(deps, request.caller.organizationId, {
          maxCallsPerContact: request.body.max_calls_per_contact,
          optOutKeywords: request.body.opt_out_keywords ?? null,
        }),
      ),
  );
};
