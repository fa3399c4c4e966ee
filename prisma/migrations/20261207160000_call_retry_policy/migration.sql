-- Retry rules by call outcome (docs/product.md, "Contact rounds"): NULL when the campaign has none.
ALTER TABLE "campaigns" ADD COLUMN "call_retry_policy" JSONB;
