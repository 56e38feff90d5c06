-- Every call attempt a visitor makes through the widget.

CREATE TABLE public.call_logs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  site_id uuid REFERENCES public.sites (id),
  agent_id uuid REFERENCES public.agent_profiles (id) ON DELETE SET NULL,
  disposition_id uuid REFERENCES public.dispositions (id) ON DELETE SET NULL,
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'ringing', 'accepted', 'completed', 'missed', 'rejected', 'failed')),
  page_url text,
  visitor_id text,
  visitor_country_code text,
  duration_seconds integer,
  answered_at timestamptz,
  ended_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idx_call_logs_organization_id ON public.call_logs (organization_id);
CREATE INDEX idx_call_logs_agent_id ON public.call_logs (agent_id);
CREATE INDEX idx_call_logs_disposition_id ON public.call_logs (disposition_id);
CREATE INDEX idx_call_logs_status ON public.call_logs (status);
CREATE INDEX idx_call_logs_created_at ON public.call_logs (created_at DESC);
CREATE INDEX idx_call_logs_visitor_id ON public.call_logs (visitor_id) WHERE visitor_id IS NOT NULL;
