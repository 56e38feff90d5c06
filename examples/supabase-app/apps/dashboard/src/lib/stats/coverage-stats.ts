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
export function calculateHourlyCoverage(
  sessions: SessionSpan[],
  pageviews: Pageview[],
  startDay: Date,
  endDay: Date,
): HourCoverage[] {
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
