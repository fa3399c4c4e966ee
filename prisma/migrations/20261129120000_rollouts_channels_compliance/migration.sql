-- Rounds open lazily (rollouts drawn by the hopper), pending work is kept on the target row,
-- compliance (do-not-contact, blackout dates, pacing, dispatch expiry) and the provisional
-- `timed_out` call status. Every index below serves one query shape whose plan must not depend on
-- statistics (autovacuum may be off): equality prefixes plus an ordered column, or a partial
-- index whose predicate the query repeats exactly.

-- AlterEnum
ALTER TYPE "target_state" ADD VALUE 'do_not_contact';
ALTER TYPE "call_status" ADD VALUE 'timed_out';
-- A message handed to a sender, whose sent/failed event is awaited (as `dialing` for calls).
ALTER TYPE "whatsapp_status" ADD VALUE 'sending' BEFORE 'sent';

-- CreateEnum
CREATE TYPE "rollout_kind" AS ENUM ('start', 'resume');
CREATE TYPE "do_not_contact_kind" AS ENUM ('phone', 'whatsapp', 'email', 'customer_id');

-- AlterTable
ALTER TABLE "organizations" ADD COLUMN "max_concurrent_calls" INTEGER;

-- A command's progress is its rollout's (targets drawn so far).
ALTER TABLE "commands" DROP COLUMN "progress";

ALTER TABLE "campaigns"
  ADD COLUMN "blackout_dates" TEXT[] DEFAULT ARRAY[]::TEXT[],
  ADD COLUMN "max_calls_per_minute" INTEGER,
  ADD COLUMN "max_concurrent_calls" INTEGER,
  ADD COLUMN "dispatch_expiry_minutes" INTEGER NOT NULL DEFAULT 60,
  ADD COLUMN "recent_dials" TIMESTAMPTZ(3)[] DEFAULT ARRAY[]::TIMESTAMPTZ(3)[],
  ADD COLUMN "paced_until" TIMESTAMPTZ(3);

ALTER TABLE "targets"
  ADD COLUMN "has_pending" BOOLEAN NOT NULL DEFAULT false,
  ADD COLUMN "idle_since" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "rollouts" (
    "id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "command_id" UUID,
    "kind" "rollout_kind" NOT NULL,
    "segment" "target_state",
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "cursor" UUID NOT NULL,
    "selected" INTEGER NOT NULL DEFAULT 0,
    "scheduled_calls" INTEGER NOT NULL DEFAULT 0,
    "queued_whatsapp" INTEGER NOT NULL DEFAULT 0,
    "skipped_existing_pending" INTEGER NOT NULL DEFAULT 0,
    "skipped_missing_contact" INTEGER NOT NULL DEFAULT 0,
    "skipped_do_not_contact" INTEGER NOT NULL DEFAULT 0,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "rollouts_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "do_not_contact" (
    "id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "kind" "do_not_contact_kind" NOT NULL,
    "value" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "do_not_contact_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
-- Active rollouts of a campaign, oldest first (they are drawn in that order).
CREATE INDEX "rollouts_active_idx" ON "rollouts"("campaign_id", "created_at") WHERE "finished_at" IS NULL;
CREATE INDEX "rollouts_command_id_idx" ON "rollouts"("command_id");
CREATE UNIQUE INDEX "do_not_contact_organization_id_value_key" ON "do_not_contact"("organization_id", "value");
CREATE INDEX "do_not_contact_organization_id_id_idx" ON "do_not_contact"("organization_id", "id");
-- Commands no worker finished yet (the reconciler queues them again if Redis lost their job).
CREATE INDEX "commands_unfinished_idx" ON "commands"("created_at") WHERE "status" IN ('queued', 'running');

-- Targets: walks in id order within a state (resume draws, segment counts) and among targets
-- that never had a round (start draws); targets holding pending work (settling, stats).
DROP INDEX "targets_campaign_id_state_idx";
CREATE INDEX "targets_campaign_id_state_id_idx" ON "targets"("campaign_id", "state", "id");
CREATE INDEX "targets_never_started_idx" ON "targets"("campaign_id", "id") WHERE "round" = 0;
CREATE INDEX "targets_pending_idx" ON "targets"("campaign_id") WHERE "has_pending";

-- Calls and messages: the hopper's due rows in due order, promoted rows (withdraw, reconcile,
-- the per-campaign bound), counts by status, and calls left dialing (timeout sweep).
DROP INDEX "calls_campaign_id_status_promoted_at_scheduled_for_idx";
DROP INDEX "calls_status_dialing_at_idx";
CREATE INDEX "calls_campaign_id_status_idx" ON "calls"("campaign_id", "status");
CREATE INDEX "calls_due_idx" ON "calls"("campaign_id", "scheduled_for") WHERE "status" = 'scheduled' AND "promoted_at" IS NULL;
CREATE INDEX "calls_promoted_idx" ON "calls"("campaign_id", "promoted_at") WHERE "promoted_at" IS NOT NULL;
CREATE INDEX "calls_dialing_idx" ON "calls"("dialing_at") WHERE "status" = 'dialing';

DROP INDEX "whatsapp_messages_campaign_id_status_promoted_at_scheduled__idx";
CREATE INDEX "whatsapp_messages_campaign_id_status_idx" ON "whatsapp_messages"("campaign_id", "status");
CREATE INDEX "whatsapp_messages_due_idx" ON "whatsapp_messages"("campaign_id", "scheduled_for") WHERE "status" = 'queued' AND "promoted_at" IS NULL;
CREATE INDEX "whatsapp_messages_promoted_idx" ON "whatsapp_messages"("campaign_id", "promoted_at") WHERE "promoted_at" IS NOT NULL;

-- AddForeignKey
ALTER TABLE "rollouts" ADD CONSTRAINT "rollouts_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "do_not_contact" ADD CONSTRAINT "do_not_contact_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Existing rows: targets that hold pending work say so.
UPDATE "targets" t SET "has_pending" = true
WHERE EXISTS (SELECT 1 FROM "calls" c WHERE c."target_id" = t."id" AND c."status" IN ('scheduled', 'dialing'))
   OR EXISTS (SELECT 1 FROM "whatsapp_messages" m WHERE m."target_id" = t."id" AND m."status" = 'queued');
