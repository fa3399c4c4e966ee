import type { ChannelName } from '../channels.js';
import { workOwners, type WorkOwner } from '../db/repositories/work.js';
import type { ServiceDeps } from './deps.js';

export interface OwnedRequest<R> {
  request: R;
  /** Its position among the requests (answers are given in the same order). */
  index: number;
  owner: WorkOwner;
}

/**
 * The requests whose call or message exists and, for requests made over HTTP (with the caller's
 * organization), belongs to that organization: another organization's work is as unknown as
 * work that does not exist.
 */
export async function ownedRequests<R extends { organizationId?: string | undefined }>(
  deps: Pick<ServiceDeps, 'db'>,
  channel: ChannelName,
  requests: readonly R[],
  idOf: (request: R) => string,
): Promise<Array<OwnedRequest<R>>> {
  const owners = await workOwners(deps.db.sql, channel, [...new Set(requests.map(idOf))]);
  return requests.flatMap((request, index) => {
    const owner = owners.get(idOf(request));
    const visible = owner !== undefined && (request.organizationId === undefined || request.organizationId === owner.organizationId);
    return visible ? [{ request, index, owner }] : [];
  });
}
