-- One row per widget impression; the largest table by far.

CREATE TABLE public.widget_pageviews (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  site_id uuid REFERENCES public.sites (id) ON DELETE CASCADE,
  pool_id uuid REFERENCES public.agent_pools (id) ON DELETE SET NULL,
  page_url text NOT NULL,
  visitor_id text,
  visitor_country_code text,
  agent_available boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idx_widget_pageviews_site_id ON public.widget_pageviews (site_id);
