-- The reconciler walks the promoted rows still waiting for their job across campaigns, in
-- (promoted_at, id) order: it reads those rows only, however many campaigns run. Rows handed out
-- (dialing, sending) keep promoted_at until their report and stay out of it.
CREATE INDEX "calls_promoted_waiting_idx" ON "calls"("promoted_at", "id") WHERE "status" = 'scheduled' AND "promoted_at" IS NOT NULL;
CREATE INDEX "whatsapp_messages_promoted_waiting_idx" ON "whatsapp_messages"("promoted_at", "id") WHERE "status" = 'queued' AND "promoted_at" IS NOT NULL;

-- The settle sweep reads the changes that can leave a campaign without work since its mark:
-- targets that went idle and rollouts that finished.
CREATE INDEX "targets_idle_idx" ON "targets"("idle_since", "campaign_id") WHERE NOT "has_pending" AND "idle_since" IS NOT NULL;
CREATE INDEX "rollouts_finished_at_idx" ON "rollouts"("finished_at");

-- How far a periodic sweep has looked (by name): the settle sweep's changes up to swept_until
-- have been checked.
CREATE TABLE "sweep_marks" (
    "name" TEXT NOT NULL,
    "swept_until" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sweep_marks_pkey" PRIMARY KEY ("name")
);

-- Up to this version every hopper pass checked every running campaign, so a campaign left
-- without work was completed by the next pass of a running process; the day before the upgrade
-- covers one left so while no process ran.
INSERT INTO "sweep_marks" ("name", "swept_until") VALUES ('settle', now() - interval '1 day');
