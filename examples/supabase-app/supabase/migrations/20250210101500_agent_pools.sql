-- Routing pools: groups of agents that take calls for a set of pages.

CREATE TABLE public.agent_pools (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  name text NOT NULL,
  is_catch_all boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idx_agent_pools_organization_id ON public.agent_pools (organization_id);

CREATE TABLE public.agent_pool_members (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pool_id uuid NOT NULL REFERENCES public.agent_pools (id) ON DELETE CASCADE,
  agent_profile_id uuid NOT NULL REFERENCES public.agent_profiles (id) ON DELETE CASCADE,
  priority integer NOT NULL DEFAULT 0
);

CREATE INDEX idx_agent_pool_members_pool_id ON public.agent_pool_members (pool_id);
CREATE INDEX idx_agent_pool_members_agent_profile_id ON public.agent_pool_members (agent_profile_id);

CREATE TABLE public.pool_routing_rules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pool_id uuid NOT NULL REFERENCES public.agent_pools (id) ON DELETE CASCADE,
  url_pattern text NOT NULL,
  match_type text NOT NULL DEFAULT 'prefix',
  priority integer NOT NULL DEFAULT 0
);

CREATE INDEX idx_pool_routing_rules_pool_id ON public.pool_routing_rules (pool_id);

-- Calls now remember which pool routed them.
ALTER TABLE public.call_logs ADD COLUMN pool_id uuid REFERENCES public.agent_pools (id) ON DELETE SET NULL;
-- index-audit-ignore index-locking: call_logs held a few hundred rows when this ran
CREATE INDEX idx_call_logs_pool_id ON public.call_logs (pool_id);
