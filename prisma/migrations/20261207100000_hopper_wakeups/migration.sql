-- The hopper's wake-ups: a row says "this campaign may have calls or messages to promote from
-- due_at on". Written by triggers whenever a statement leaves a row waiting and unpromoted, so
-- every path (round opened, next attempt, hold, deferral, reconciliation, pause) is covered; the
-- hopper reads only wake-ups that are due, so a running campaign with nothing due costs nothing
-- per pass. Insert-only from the writers' side: no row is locked, no foreign key (its KEY SHARE
-- lock on the campaign would come after the rows' locks, against the lock order).
CREATE TABLE "hopper_wakeups" (
    "id" BIGSERIAL NOT NULL,
    "campaign_id" UUID NOT NULL,
    "due_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "hopper_wakeups_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "hopper_wakeups_due_at_idx" ON "hopper_wakeups"("due_at");

-- One wake-up per campaign and statement, at its earliest waiting row. TG_ARGV[0] is the table's
-- waiting status ('scheduled' calls, 'queued' messages).
CREATE FUNCTION "wake_hopper"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO hopper_wakeups (campaign_id, due_at)
  SELECT changed.campaign_id, min(changed.scheduled_for) FROM changed
  WHERE changed.status::text = TG_ARGV[0] AND changed.promoted_at IS NULL
  GROUP BY changed.campaign_id;
  RETURN NULL;
END
$$;

CREATE TRIGGER "calls_wake_hopper_on_insert" AFTER INSERT ON "calls"
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "wake_hopper"('scheduled');
CREATE TRIGGER "calls_wake_hopper_on_update" AFTER UPDATE ON "calls"
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "wake_hopper"('scheduled');
CREATE TRIGGER "whatsapp_messages_wake_hopper_on_insert" AFTER INSERT ON "whatsapp_messages"
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "wake_hopper"('queued');
CREATE TRIGGER "whatsapp_messages_wake_hopper_on_update" AFTER UPDATE ON "whatsapp_messages"
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "wake_hopper"('queued');

-- Campaigns running now get a wake-up: their waiting rows were written before the triggers.
INSERT INTO "hopper_wakeups" ("campaign_id", "due_at")
SELECT "id", now() FROM "campaigns" WHERE "status" = 'running';
