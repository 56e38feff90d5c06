-- Expired invitations are removed every hour by pg_cron.

CREATE EXTENSION IF NOT EXISTS pg_cron;

SELECT cron.schedule(
  'cleanup-expired-invites',
  '0 * * * *',
  $$ DELETE FROM public.invites WHERE expires_at < now() AND accepted_at IS NULL $$
);
