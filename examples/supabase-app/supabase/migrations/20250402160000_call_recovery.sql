-- Call recovery: a visitor whose connection drops can rejoin the same call with a token.

ALTER TABLE public.call_logs ADD COLUMN reconnect_token text;
ALTER TABLE public.call_logs ADD COLUMN reconnect_eligible boolean NOT NULL DEFAULT false;
ALTER TABLE public.call_logs ADD COLUMN last_heartbeat_at timestamptz;

-- index-audit-ignore index-locking: shipped before launch, call_logs was empty
CREATE INDEX idx_call_logs_orphaned ON public.call_logs (last_heartbeat_at)
  WHERE status = 'accepted' AND ended_at IS NULL;
