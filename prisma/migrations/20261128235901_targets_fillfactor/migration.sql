-- Opening a round rewrites every selected target (round, last_attempt), none of them indexed
-- columns: free space in each page lets PostgreSQL update them in place (HOT) instead of
-- writing every index again. Matters when a campaign of a million targets starts.
ALTER TABLE "targets" SET (fillfactor = 80);
