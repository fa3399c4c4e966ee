-- Messages handed to a sender whose event never came (timeout sweep). Apart from the previous
-- migration: a new enum value cannot be used in the transaction that adds it.
CREATE INDEX "whatsapp_messages_sending_idx" ON "whatsapp_messages"("updated_at") WHERE "status" = 'sending';
