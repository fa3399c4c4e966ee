-- A campaign's schedule (docs/product.md, "Campaign schedule"): nothing is due before starts_at,
-- and at ends_at the campaign completes by itself. NULL: no bound.
ALTER TABLE "campaigns" ADD COLUMN "starts_at" TIMESTAMPTZ(3), ADD COLUMN "ends_at" TIMESTAMPTZ(3);
-- The hopper finds the campaigns whose end has come through this index alone.
CREATE INDEX "campaigns_ending_idx" ON "campaigns"("ends_at") WHERE "ends_at" IS NOT NULL AND "status" IN ('running', 'paused');

-- Why the system moved a campaign by itself (auto_complete: no_work_left; scheduled_end:
-- ends_at); NULL for commands.
ALTER TABLE "campaign_events" ADD COLUMN "reason" TEXT;
