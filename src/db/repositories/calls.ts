import type { Call, CallStatus } from '../../generated/prisma/client.js';
import type { DbClient } from '../client.js';
import { keysetArgs, toPage, type Page, type PageRequest } from '../pagination.js';

export interface CallFilter {
  status?: CallStatus | undefined;
  targetId?: string | undefined;
}

export async function listCalls(db: DbClient, campaignId: string, filter: CallFilter, page: PageRequest): Promise<Page<Call>> {
  const { where, ...args } = keysetArgs(page);
  const rows = await db.call.findMany({
    ...args,
    where: {
      campaignId,
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.targetId ? { targetId: filter.targetId } : {}),
      ...where,
    },
  });
  return toPage(rows, page.limit);
}
