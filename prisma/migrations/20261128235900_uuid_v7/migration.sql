-- Time-ordered uuids (RFC 9562 version 7) for rows written by set-based SQL, matching the ids
-- Prisma generates (uuid(7)), so keyset pagination by id follows creation order.
-- PostgreSQL 15 has no uuidv7(); this is the common pure-SQL construction.
CREATE FUNCTION uuid_generate_v7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT encode(
    set_bit(
      set_bit(
        overlay(uuid_send(gen_random_uuid())
                placing substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                FROM 1 FOR 6),
        52, 1),
      53, 1),
    'hex')::uuid
$$;
