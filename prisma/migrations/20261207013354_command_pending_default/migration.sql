-- Apart from the previous migration: a new enum value cannot be used in the transaction that adds it.

-- AlterTable
ALTER TABLE "commands" ALTER COLUMN "status" SET DEFAULT 'pending';

-- Commands no worker finished yet: the reconciler queues an accepted one again if Redis lost its
-- job, and fails a pending one whose request never decided (its process died).
DROP INDEX "commands_unfinished_idx";
CREATE INDEX "commands_unfinished_idx" ON "commands"("created_at") WHERE "status" IN ('pending', 'queued', 'running');
