-- Per-organization call totals for the dashboard header, computed in the database.

CREATE OR REPLACE FUNCTION public.get_org_call_stats(p_organization_id uuid, p_since timestamptz)
RETURNS TABLE (total bigint, answered bigint, missed bigint)
LANGUAGE plpgsql
STABLE
AS $$
BEGIN
  RETURN QUERY
  SELECT count(*),
         count(*) FILTER (WHERE c.status IN ('accepted', 'completed')),
         count(*) FILTER (WHERE c.status = 'missed')
    FROM public.call_logs c
   WHERE c.organization_id = p_organization_id
     AND c.created_at >= p_since;
END;
$$;
