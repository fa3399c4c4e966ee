import { Redis } from 'ioredis';

/** Deletes every key under a BullMQ prefix (the caller's own; never anybody else's). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** The same, over a connection of its own. */
export async function deletePrefixAt(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    await deletePrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}
