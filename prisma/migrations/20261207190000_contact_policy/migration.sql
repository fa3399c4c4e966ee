-- An organization's contact policy (docs/product.md, "Contact caps and opt-outs"): caps on calls
-- to one number across its campaigns, and the words that make a WhatsApp reply an opt-out
-- (NULL: the default words).
CREATE TABLE "contact_policies" (
    "organization_id" UUID NOT NULL,
    "max_calls_per_contact" JSONB NOT NULL DEFAULT '[]',
    "opt_out_keywords" TEXT[],
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "contact_policies_pkey" PRIMARY KEY ("organization_id"),
    CONSTRAINT "contact_policies_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- Calls handed out to be dialed, by number, for organizations with caps: what the caps count.
-- Kept as long as the longest cap allowed (31 days), then deleted by the hopper.
CREATE TABLE "contact_dials" (
    "call_id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "phone" TEXT NOT NULL,
    "dialed_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "contact_dials_pkey" PRIMARY KEY ("call_id"),
    CONSTRAINT "contact_dials_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "contact_dials_organization_id_phone_dialed_at_idx" ON "contact_dials"("organization_id", "phone", "dialed_at");
CREATE INDEX "contact_dials_dialed_at_idx" ON "contact_dials"("dialed_at");

-- Why the dispatch guard last gave a waiting call back (contact_cap, rate_limit, ...); NULL once
-- it is claimed, or when it never was held.
ALTER TABLE "calls" ADD COLUMN "hold_reason" TEXT;
