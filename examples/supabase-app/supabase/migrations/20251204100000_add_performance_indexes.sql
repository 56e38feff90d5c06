-- Analytics indexes for the dashboard: organization + date range first, then the common filters.
-- Built while the tables were small, in the low-traffic window.

-- call_logs
-- index-audit-ignore index-locking: built in the maintenance window
CREATE INDEX IF NOT EXISTS idx_call_logs_org_created ON public.call_logs (organization_id, created_at DESC);
-- index-audit-ignore index-locking: built in the maintenance window
CREATE INDEX IF NOT EXISTS idx_call_logs_org_status_created ON public.call_logs (organization_id, status, created_at DESC);
-- index-audit-ignore index-locking: built in the maintenance window
CREATE INDEX IF NOT EXISTS idx_call_logs_pool_created ON public.call_logs (pool_id, created_at DESC)
  WHERE pool_id IS NOT NULL;
-- index-audit-ignore index-locking: built in the maintenance window
CREATE INDEX IF NOT EXISTS idx_call_logs_org_country ON public.call_logs (organization_id, visitor_country_code)
  WHERE visitor_country_code IS NOT NULL;
-- index-audit-ignore index-locking: built in the maintenance window
CREATE INDEX IF NOT EXISTS idx_call_logs_agent_created ON public.call_logs (agent_id, created_at DESC)
  WHERE agent_id IS NOT NULL;
-- index-audit-ignore index-locking: built in the maintenance window
CREATE INDEX IF NOT EXISTS idx_call_logs_org_answered ON public.call_logs (organization_id, answered_at DESC)
  WHERE answered_at IS NOT NULL;

-- widget_pageviews
-- index-audit-ignore index-locking: built in the maintenance window
CREATE INDEX IF NOT EXISTS idx_widget_pageviews_org_date ON public.widget_pageviews (organization_id, created_at DESC);
-- index-audit-ignore index-locking: built in the maintenance window
CREATE INDEX IF NOT EXISTS idx_widget_pageviews_pool_date ON public.widget_pageviews (pool_id, created_at DESC)
  WHERE pool_id IS NOT NULL;
-- index-audit-ignore index-locking: built in the maintenance window
CREATE INDEX IF NOT EXISTS idx_widget_pageviews_org_country ON public.widget_pageviews (organization_id, visitor_country_code)
  WHERE visitor_country_code IS NOT NULL;
-- index-audit-ignore index-locking: built in the maintenance window
CREATE INDEX IF NOT EXISTS idx_widget_pageviews_org_site_date ON public.widget_pageviews (organization_id, site_id, created_at DESC);
-- index-audit-ignore index-locking: built in the maintenance window
CREATE INDEX IF NOT EXISTS idx_widget_pageviews_visitor ON public.widget_pageviews (visitor_id)
  WHERE visitor_id IS NOT NULL;

-- agent_sessions
-- index-audit-ignore index-locking: built in the maintenance window
CREATE INDEX IF NOT EXISTS idx_agent_sessions_agent_date ON public.agent_sessions (agent_id, started_at DESC);
-- index-audit-ignore index-locking: built in the maintenance window
CREATE INDEX IF NOT EXISTS idx_agent_sessions_org_date ON public.agent_sessions (organization_id, started_at DESC);
-- index-audit-ignore index-locking: built in the maintenance window
CREATE INDEX IF NOT EXISTS idx_agent_sessions_active ON public.agent_sessions (agent_id)
  WHERE ended_at IS NULL;

-- agent_status_changes
-- index-audit-ignore index-locking: built in the maintenance window
CREATE INDEX IF NOT EXISTS idx_status_changes_agent_status ON public.agent_status_changes (agent_id, to_status, changed_at DESC);
