-- AlterEnum
-- A command is pending from its insert until its request confirms Redis took its job (queued)
-- or fails it.
ALTER TYPE "command_status" ADD VALUE 'pending' BEFORE 'queued';
