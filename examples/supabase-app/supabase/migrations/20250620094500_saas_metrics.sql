-- Revenue and funnel tracking for the platform admin dashboard.

CREATE TABLE public.mrr_snapshots (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  snapshot_date date NOT NULL,
  mrr_cents bigint NOT NULL,
  seats integer NOT NULL DEFAULT 1,
  UNIQUE (organization_id, snapshot_date)
);

CREATE INDEX idx_mrr_snapshots_date ON public.mrr_snapshots (snapshot_date);

CREATE TABLE public.mrr_changes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  stripe_event_id text NOT NULL UNIQUE,
  change_type text NOT NULL,
  delta_cents bigint NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idx_mrr_changes_org_changed ON public.mrr_changes (organization_id, changed_at DESC);
CREATE INDEX idx_mrr_changes_type_changed ON public.mrr_changes (change_type, changed_at DESC);

CREATE TABLE public.funnel_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id uuid REFERENCES public.organizations (id) ON DELETE CASCADE,
  event_name text NOT NULL,
  visitor_id text,
  session_id text,
  properties jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idx_funnel_events_org_created ON public.funnel_events (organization_id, created_at DESC);
CREATE INDEX idx_funnel_events_name_created ON public.funnel_events (event_name, created_at DESC);
CREATE INDEX idx_funnel_events_visitor_id ON public.funnel_events (visitor_id);
CREATE INDEX idx_funnel_events_session_id ON public.funnel_events (session_id);
