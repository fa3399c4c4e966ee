-- Opt-outs captured (docs/product.md, "Contact caps and opt-outs"): a call outcome with opt_out, a
-- WhatsApp reply that is an opt-out keyword. The person's identifiers go on the do-not-contact
-- list with the reason and where it came from.
ALTER TABLE "calls" ADD COLUMN "opt_out" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "whatsapp_messages" ADD COLUMN "reply_text" TEXT, ADD COLUMN "opt_out" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "targets" ADD COLUMN "opted_out_at" TIMESTAMPTZ(3);
ALTER TABLE "do_not_contact" ADD COLUMN "reason" TEXT NOT NULL DEFAULT 'manual',
    ADD COLUMN "source_campaign_id" UUID, ADD COLUMN "source_target_id" UUID,
    ADD COLUMN "source_call_id" UUID, ADD COLUMN "source_message_id" UUID;

-- A campaign's opt-outs, counted by its stats: few rows, one small index each.
CREATE INDEX "calls_opt_out_idx" ON "calls"("campaign_id") WHERE "opt_out";
CREATE INDEX "whatsapp_messages_opt_out_idx" ON "whatsapp_messages"("campaign_id") WHERE "opt_out";
