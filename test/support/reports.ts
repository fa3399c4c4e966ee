import type { LightMyRequestResponse } from 'fastify';
import type { ApiClient, TestSystem } from './harness.js';
import { eventually } from './poll.js';

export type WorkKind = 'call' | 'whatsapp';

const ROUTES: Record<WorkKind, { claim: (id: string) => string; report: (id: string) => string }> = {
  call: { claim: (id) => `/calls/${id}/claim`, report: (id) => `/calls/${id}/outcome` },
  whatsapp: { claim: (id) => `/whatsapp-messages/${id}/claim`, report: (id) => `/whatsapp-messages/${id}/events` },
};

async function promotion(t: TestSystem, kind: WorkKind, id: string): Promise<number> {
  const find = async (): Promise<{ promotedAt: Date | null; promotion: number } | null> =>
    kind === 'call' ? t.prisma.call.findUnique({ where: { id } }) : t.prisma.whatsappMessage.findUnique({ where: { id } });
  const row = await eventually(find, (found) => found?.promotedAt != null);
  return row!.promotion;
}

/**
 * What a dialer or sender does for a job: the claim (once the hopper has promoted the row, with
 * its promotion; the guard must answer 200), then the report (a call's outcome body, or a
 * message's event body). Reports are refused for work never claimed, so a test that only means
 * to report uses this for the first report; repeats go straight to the report route.
 */
export async function claimAndReport(t: TestSystem, kind: WorkKind, id: string, body: unknown, api: ApiClient = t.api): Promise<LightMyRequestResponse> {
  const claim = await api('POST', ROUTES[kind].claim(id), { promotion: await promotion(t, kind, id) });
  if (claim.statusCode !== 200) throw new Error(`the claim of ${kind} ${id} answered ${claim.statusCode}: ${claim.body}`);
  return api('POST', ROUTES[kind].report(id), body);
}
