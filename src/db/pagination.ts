export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Prisma arguments for keyset pagination on `id`: one extra row tells whether more follow. */
export const keysetArgs = ({ limit, cursor }: PageRequest) => ({
  take: limit + 1,
  orderBy: { id: 'asc' as const },
  ...(cursor ? { where: { id: { gt: cursor } } } : {}),
});

export function toPage<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? last.id : null };
}
