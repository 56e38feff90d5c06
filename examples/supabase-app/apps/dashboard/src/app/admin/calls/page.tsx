import { createServerClient } from "@/lib/supabase";
import { calculateHourlyCoverage } from "@/lib/stats/coverage-stats";
import { CallsTable } from "./calls-table";
import { CoverageHeatmap } from "./coverage-heatmap";

interface PageProps {
  searchParams: { org: string; from: string; to: string; status?: string; pool?: string };
}

export default async function CallsPage({ searchParams }: PageProps) {
  const supabase = createServerClient();
  const { org, from, to, status, pool } = searchParams;

  // Calls with their agent, site and disposition in one round trip.
  let callsQuery = supabase
    .from("call_logs")
    .select(
      `
      id, status, page_url, visitor_country_code, duration_seconds, created_at,
      agent:agent_profiles(id, display_name),
      site:sites(id, name, domain),
      disposition:dispositions(id, name, color)
    `,
    )
    .eq("organization_id", org)
    .gte("created_at", from)
    .lte("created_at", to)
    .order("created_at", { ascending: false })
    .limit(500);
  if (status) callsQuery = callsQuery.eq("status", status);

  const { data: calls } = await callsQuery;

  // Pageviews in the range, to compare demand with agent coverage hour by hour.
  const { data: pageviews } = await supabase
    .from("widget_pageviews")
    .select("created_at, agent_available")
    .eq("organization_id", org)
    .gte("created_at", from)
    .lte("created_at", to);

  const poolCalls = pool
    ? await supabase
        .from("call_logs")
        .select("id, status, created_at")
        .eq("pool_id", pool)
        .gte("created_at", from)
        .order("created_at", { ascending: false })
        .limit(200)
    : null;

  const coverage = await calculateHourlyCoverage(supabase, org, pageviews ?? [], new Date(from), new Date(to));

  return (
    <main>
      <CoverageHeatmap coverage={coverage} />
      <CallsTable calls={calls ?? []} poolCalls={poolCalls?.data ?? []} />
    </main>
  );
}
