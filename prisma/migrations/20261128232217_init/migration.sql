-- CreateEnum
CREATE TYPE "campaign_status" AS ENUM ('draft', 'running', 'paused', 'done');

-- CreateEnum
CREATE TYPE "goal_logic" AS ENUM ('all', 'any');

-- CreateEnum
CREATE TYPE "contact_channel" AS ENUM ('call', 'whatsapp');

-- CreateEnum
CREATE TYPE "target_state" AS ENUM ('not_contacted', 'not_answered', 'failed', 'unresolved', 'goal_met');

-- CreateEnum
CREATE TYPE "call_status" AS ENUM ('scheduled', 'dialing', 'answered', 'no_answer', 'busy', 'voicemail', 'failed', 'unknown', 'canceled');

-- CreateEnum
CREATE TYPE "whatsapp_status" AS ENUM ('queued', 'sent', 'delivered', 'read', 'replied', 'failed', 'canceled');

-- CreateEnum
CREATE TYPE "whatsapp_kind" AS ENUM ('first', 'fallback');

-- CreateEnum
CREATE TYPE "command_name" AS ENUM ('start', 'pause', 'resume', 'complete');

-- CreateEnum
CREATE TYPE "command_status" AS ENUM ('queued', 'running', 'succeeded', 'rejected', 'failed');

-- CreateTable
CREATE TABLE "organizations" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "organizations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "key_hash" TEXT NOT NULL,
    "key_prefix" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "campaigns" (
    "id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "agent_id" UUID NOT NULL,
    "phone_number_id" UUID,
    "email_channel_id" UUID,
    "whatsapp_channel_id" UUID,
    "goal" TEXT,
    "goal_spec" JSONB,
    "goal_logic" "goal_logic" NOT NULL DEFAULT 'all',
    "first_contact_channel" "contact_channel" NOT NULL DEFAULT 'call',
    "call_opening_message" TEXT,
    "whatsapp_first_message" TEXT,
    "whatsapp_after_attempts" INTEGER NOT NULL DEFAULT 3,
    "call_attempt_delays" INTEGER[] DEFAULT ARRAY[]::INTEGER[],
    "call_working_hours" JSONB,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "status" "campaign_status" NOT NULL DEFAULT 'draft',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "campaigns_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "targets" (
    "id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "customer_id" UUID,
    "name" TEXT,
    "phone" TEXT,
    "whatsapp" TEXT,
    "email" TEXT,
    "timezone" TEXT,
    "variables" JSONB NOT NULL DEFAULT '{}',
    "dedupe_key" TEXT,
    "state" "target_state" NOT NULL DEFAULT 'not_contacted',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "targets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "calls" (
    "id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "target_id" UUID NOT NULL,
    "round" INTEGER NOT NULL,
    "attempt" INTEGER NOT NULL,
    "status" "call_status" NOT NULL DEFAULT 'scheduled',
    "scheduled_for" TIMESTAMPTZ(3) NOT NULL,
    "promoted_at" TIMESTAMPTZ(3),
    "dialing_at" TIMESTAMPTZ(3),
    "ended_at" TIMESTAMPTZ(3),
    "duration_s" INTEGER,
    "ai_label" TEXT,
    "ai_score" DOUBLE PRECISION,
    "summary" TEXT,
    "cancel_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "calls_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "whatsapp_messages" (
    "id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "target_id" UUID NOT NULL,
    "round" INTEGER NOT NULL,
    "kind" "whatsapp_kind" NOT NULL,
    "status" "whatsapp_status" NOT NULL DEFAULT 'queued',
    "scheduled_for" TIMESTAMPTZ(3) NOT NULL,
    "promoted_at" TIMESTAMPTZ(3),
    "sent_at" TIMESTAMPTZ(3),
    "delivered_at" TIMESTAMPTZ(3),
    "read_at" TIMESTAMPTZ(3),
    "replied_at" TIMESTAMPTZ(3),
    "failed_at" TIMESTAMPTZ(3),
    "cancel_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "whatsapp_messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "email_events" (
    "id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "target_id" UUID NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "email_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "campaign_events" (
    "id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "command" TEXT NOT NULL,
    "from_status" "campaign_status" NOT NULL,
    "to_status" "campaign_status" NOT NULL,
    "actor" TEXT NOT NULL,
    "request_id" TEXT,
    "command_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "campaign_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "commands" (
    "id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "name" "command_name" NOT NULL,
    "params" JSONB NOT NULL DEFAULT '{}',
    "actor" TEXT NOT NULL,
    "request_id" TEXT,
    "idempotency_key" TEXT,
    "status" "command_status" NOT NULL DEFAULT 'queued',
    "result" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "commands_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "organizations_name_key" ON "organizations"("name");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys"("key_hash");

-- CreateIndex
CREATE INDEX "api_keys_organization_id_idx" ON "api_keys"("organization_id");

-- CreateIndex
CREATE INDEX "campaigns_organization_id_id_idx" ON "campaigns"("organization_id", "id");

-- CreateIndex
CREATE INDEX "targets_campaign_id_id_idx" ON "targets"("campaign_id", "id");

-- CreateIndex
CREATE INDEX "targets_campaign_id_state_idx" ON "targets"("campaign_id", "state");

-- CreateIndex
CREATE UNIQUE INDEX "targets_campaign_id_dedupe_key_key" ON "targets"("campaign_id", "dedupe_key");

-- CreateIndex
CREATE INDEX "calls_campaign_id_status_scheduled_for_idx" ON "calls"("campaign_id", "status", "scheduled_for");

-- CreateIndex
CREATE INDEX "calls_campaign_id_id_idx" ON "calls"("campaign_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "calls_target_id_attempt_key" ON "calls"("target_id", "attempt");

-- CreateIndex
CREATE INDEX "whatsapp_messages_campaign_id_status_scheduled_for_idx" ON "whatsapp_messages"("campaign_id", "status", "scheduled_for");

-- CreateIndex
CREATE UNIQUE INDEX "whatsapp_messages_target_id_round_kind_key" ON "whatsapp_messages"("target_id", "round", "kind");

-- CreateIndex
CREATE INDEX "email_events_target_id_idx" ON "email_events"("target_id");

-- CreateIndex
CREATE INDEX "campaign_events_campaign_id_id_idx" ON "campaign_events"("campaign_id", "id");

-- CreateIndex
CREATE INDEX "commands_campaign_id_idx" ON "commands"("campaign_id");

-- CreateIndex
CREATE UNIQUE INDEX "commands_organization_id_idempotency_key_key" ON "commands"("organization_id", "idempotency_key");

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "targets" ADD CONSTRAINT "targets_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "calls" ADD CONSTRAINT "calls_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "calls" ADD CONSTRAINT "calls_target_id_fkey" FOREIGN KEY ("target_id") REFERENCES "targets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "whatsapp_messages" ADD CONSTRAINT "whatsapp_messages_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "whatsapp_messages" ADD CONSTRAINT "whatsapp_messages_target_id_fkey" FOREIGN KEY ("target_id") REFERENCES "targets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "email_events" ADD CONSTRAINT "email_events_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "email_events" ADD CONSTRAINT "email_events_target_id_fkey" FOREIGN KEY ("target_id") REFERENCES "targets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "campaign_events" ADD CONSTRAINT "campaign_events_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "commands" ADD CONSTRAINT "commands_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "commands" ADD CONSTRAINT "commands_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;
