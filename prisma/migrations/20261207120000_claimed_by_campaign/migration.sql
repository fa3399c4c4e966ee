-- An index led by campaign_id with status second lets the planner, on tables without
-- statistics, read the whole index for a bare status condition (a target's waiting call
-- becomes a scan of every scheduled call's entry). The only query that needs campaign and
-- status together counts a campaign's claimed work: it gets a partial index of its own.
DROP INDEX "calls_campaign_id_status_idx";
CREATE INDEX "calls_claimed_by_campaign_idx" ON "calls"("campaign_id") WHERE "status" = 'dialing';

DROP INDEX "whatsapp_messages_campaign_id_status_idx";
CREATE INDEX "whatsapp_messages_claimed_by_campaign_idx" ON "whatsapp_messages"("campaign_id") WHERE "status" = 'sending';
