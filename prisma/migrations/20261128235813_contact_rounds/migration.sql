/*
  Warnings:

  - Added the required column `round_attempt` to the `calls` table without a default value. This is not possible if the table is not empty.

*/
-- DropIndex
DROP INDEX "calls_campaign_id_status_scheduled_for_idx";

-- DropIndex
DROP INDEX "whatsapp_messages_campaign_id_status_scheduled_for_idx";

-- AlterTable
ALTER TABLE "calls" ADD COLUMN     "promotion" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "round_attempt" INTEGER NOT NULL;

-- AlterTable
ALTER TABLE "targets" ADD COLUMN     "goal_met_at" TIMESTAMPTZ(3),
ADD COLUMN     "last_attempt" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "reached_at" TIMESTAMPTZ(3),
ADD COLUMN     "round" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "whatsapp_messages" ADD COLUMN     "ends_round" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "promotion" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "ai_evaluations" (
    "id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "target_id" UUID NOT NULL,
    "call_id" UUID,
    "label" TEXT NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ai_evaluations_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ai_evaluations_target_id_idx" ON "ai_evaluations"("target_id");

-- CreateIndex
CREATE INDEX "calls_campaign_id_status_promoted_at_scheduled_for_idx" ON "calls"("campaign_id", "status", "promoted_at", "scheduled_for");

-- CreateIndex
CREATE INDEX "calls_status_dialing_at_idx" ON "calls"("status", "dialing_at");

-- CreateIndex
CREATE INDEX "whatsapp_messages_campaign_id_status_promoted_at_scheduled__idx" ON "whatsapp_messages"("campaign_id", "status", "promoted_at", "scheduled_for");

-- CreateIndex
CREATE INDEX "whatsapp_messages_campaign_id_id_idx" ON "whatsapp_messages"("campaign_id", "id");

-- AddForeignKey
ALTER TABLE "ai_evaluations" ADD CONSTRAINT "ai_evaluations_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ai_evaluations" ADD CONSTRAINT "ai_evaluations_target_id_fkey" FOREIGN KEY ("target_id") REFERENCES "targets"("id") ON DELETE CASCADE ON UPDATE CASCADE;
