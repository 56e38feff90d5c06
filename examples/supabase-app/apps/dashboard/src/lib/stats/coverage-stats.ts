import type { SupabaseClient } from "@supabase/supabase-js";

export interface SessionSpan {
  agent_id: string;
  started_at: string;
  ended_at: string | null;
}

export interface Pageview {
  created_at: string;
  agent_available: boolean;
}

export interface HourCoverage {
  hour: string;
  agentsOnline: number;
  pageviews: number;
  missedDemand: number;
}

const HOUR_MS = 3_600_000;

/** For every hour of the range: how many agents were online, and how many pageviews found nobody. */
export async function calculateHourlyCoverage(
  supabase: SupabaseClient,
  organizationId: string,
  pageviews: Pageview[],
  startDay: Date,
  endDay: Date,
): Promise<HourCoverage[]> {
  const { data } = await supabase
    .from("agent_sessions")
    .select("agent_id, started_at, ended_at")
    .eq("organization_id", organizationId)
    .gte("started_at", startDay.toISOString())
    .lte("started_at", endDay.toISOString())
    .order("started_at", { ascending: true })
    .limit(5000);
  const sessions: SessionSpan[] = data ?? [];

  const result: HourCoverage[] = [];
  const currentDay = new Date(startDay);
  while (currentDay <= endDay) {
    for (let hour = 0; hour < 24; hour++) {
      const hourStart = new Date(currentDay.getTime() + hour * HOUR_MS);
      const hourEnd = new Date(hourStart.getTime() + HOUR_MS);
      let agentsOnline = 0;
      for (const session of sessions) {
        const started = new Date(session.started_at);
        const ended = session.ended_at ? new Date(session.ended_at) : new Date();
        if (started < hourEnd && ended > hourStart) agentsOnline++;
      }
      const inHour = pageviews.filter((p) => {
        const at = new Date(p.created_at);
        return at >= hourStart && at < hourEnd;
      });
      result.push({
        hour: hourStart.toISOString(),
        agentsOnline,
        pageviews: inHour.length,
        missedDemand: inHour.filter((p) => !p.agent_available).length,
      });
    }
    currentDay.setDate(currentDay.getDate() + 1);
  }
  return result;
}
