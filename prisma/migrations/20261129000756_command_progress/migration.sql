-- AlterTable
ALTER TABLE "commands" ADD COLUMN     "progress" JSONB;
