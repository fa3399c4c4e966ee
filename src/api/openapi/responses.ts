import type { z } from 'zod';
import { ErrorDetail, HTTPValidationError } from '../schemas/common.js';

/** A documented JSON response; Fastify serialises the body with the schema. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const validationError = json(HTTPValidationError, 'Validation Error');

/** The error answers every authenticated route can give besides 422. */
export const errorResponses = {
  401: json(ErrorDetail, 'Missing or invalid credentials.'),
  404: json(ErrorDetail, "Not found in the caller's organization."),
  422: validationError,
  503: json(ErrorDetail, 'A dependency (PostgreSQL or Redis) is unavailable; nothing was changed.'),
};
