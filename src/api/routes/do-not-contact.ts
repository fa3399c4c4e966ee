import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { normalizeEmail, normalizeNumber } from '../../domain/contact-values.js';
import { addToList, doNotContactOf, removeFromList } from '../../services/do-not-contact.js';
import type { ApiDeps } from '../context.js';
import { errorResponses, json } from '../openapi/responses.js';
import { doNotContactView } from '../presenters.js';
import { guid, page } from '../schemas/common.js';
import { DoNotContactAdded, DoNotContactBatch, DoNotContactOut, DoNotContactQuery } from '../schemas/do-not-contact.js';

const tags = ['do-not-contact'];

/** A searched value in the form entries are stored in. */
const normalizedSearch = (value: string) => normalizeNumber(value) ?? normalizeEmail(value);

/** The organization's do-not-contact list: checked when rounds open and before every hand-out. */
export const doNotContactRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { deps }) => {
  app.post(
    '/do-not-contact',
    {
      schema: {
        tags,
        summary: 'Add phone numbers, WhatsApp numbers, emails or customer ids to the list',
        operationId: 'add_do_not_contact_entries',
        description:
          'Up to 10,000 entries per request, each `{"phone"}`, `{"whatsapp"}`, `{"email"}` or `{"customer_id"}`. A listed number blocks calls and WhatsApp alike.',
        body: DoNotContactBatch,
        response: { 201: json(DoNotContactAdded, 'Entries added, and values that were listed already.'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const unique = [...new Map(request.body.map((entry) => [entry.value, entry])).values()];
      const { added, existing } = await addToList(deps, request.caller.organizationId, unique);
      return reply.code(201).send({ added: added.map(doNotContactView), already_listed: existing });
    },
  );

  app.get(
    '/do-not-contact',
    {
      schema: {
        tags,
        summary: 'List the do-not-contact entries, optionally for one value',
        operationId: 'list_do_not_contact_entries',
        querystring: DoNotContactQuery,
        response: { 200: json(page(DoNotContactOut), 'A page of entries, oldest first.'), ...errorResponses },
      },
    },
    async (request) => {
      const { value, ...pageRequest } = request.query;
      const filter = { value: value === undefined ? undefined : normalizedSearch(value) };
      const result = await doNotContactOf(deps, request.caller.organizationId, filter, pageRequest);
      return { items: result.items.map(doNotContactView), next_cursor: result.nextCursor };
    },
  );

  app.delete(
    '/do-not-contact/:entry_id',
    {
      schema: {
        tags,
        summary: 'Remove an entry; targets it kept from contact get the state their history gives',
        operationId: 'delete_do_not_contact_entry',
        params: z.object({ entry_id: guid() }),
        response: { 200: json(DoNotContactOut, 'The entry removed.'), ...errorResponses },
      },
    },
    async (request) => doNotContactView(await removeFromList(deps, request.caller.organizationId, request.params.entry_id)),
  );
};
