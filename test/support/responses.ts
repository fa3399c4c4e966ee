import { expect } from 'vitest';

interface Answer {
  statusCode: number;
  headers: Record<string, unknown>;
  json(): unknown;
}

/** The execution contract's HTTPValidationError (`{detail: [{loc, msg, type}]}`), with an item at `loc`. */
export function expectValidationError(response: Answer, loc: Array<string | number>, type?: string): void {
  expect(response.statusCode, JSON.stringify(response.json())).toBe(422);
  const body = response.json() as { detail: Array<{ loc: unknown[]; msg: string; type: string }> };
  expect(body.detail.length).toBeGreaterThan(0);
  for (const item of body.detail) expect(item).toEqual({ loc: expect.any(Array), msg: expect.any(String), type: expect.any(String) });
  const item = body.detail.find((candidate) => JSON.stringify(candidate.loc) === JSON.stringify(loc));
  expect(item, `no item at ${JSON.stringify(loc)} in ${JSON.stringify(body.detail)}`).toBeDefined();
  if (type) expect(item!.type).toBe(type);
}

/** `{"detail": "<sentence>"}` and nothing else. */
export function expectDetail(response: Answer, status: number): string {
  expect(response.statusCode).toBe(status);
  const body = response.json() as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(['detail']);
  expect(typeof body.detail).toBe('string');
  return body.detail as string;
}
