-- A retried target event counts once (src/domain/target-events.ts): each report may carry a
-- dedupe key, unique per target. Every existing row gets a null key, and nulls never collide, so
-- the unique indexes cannot fail; each replaces the plain target_id index it starts with.

-- DropIndex
DROP INDEX "ai_evaluations_target_id_idx";

-- DropIndex
DROP INDEX "email_events_target_id_idx";

-- AlterTable
ALTER TABLE "ai_evaluations" ADD COLUMN     "dedupe_key" TEXT,
ADD COLUMN     "target_state" "target_state";

-- AlterTable
ALTER TABLE "email_events" ADD COLUMN     "dedupe_key" TEXT,
ADD COLUMN     "target_state" "target_state";

-- CreateIndex
CREATE UNIQUE INDEX "ai_evaluations_target_id_dedupe_key_key" ON "ai_evaluations"("target_id", "dedupe_key");

-- CreateIndex
CREATE UNIQUE INDEX "email_events_target_id_dedupe_key_key" ON "email_events"("target_id", "dedupe_key");
