// How the platform's NestJS + Kysely code uses the generated types; `vedb docs --check` runs
// `tsc --noEmit --strict` over it. If a migration renames a column this file reads, or the API
// changes a field, the check fails here, as the platform's own build would.
import type { Kysely, Selectable } from "kysely";

import type { components, paths } from "./analytics-api";
import type { AnalyticsBehaviorLog, DB } from "./database";

type LeaderboardRoute = paths["/api/analytics/leaderboard"]["get"];
export type LeaderboardRow = components["schemas"]["Leaderboard"];
type LeaderboardQuery = NonNullable<LeaderboardRoute["parameters"]["query"]>;

/** A student's latest events, typed from analytics.behavior_log. */
export async function latestEvents(
  db: Kysely<DB>,
  userId: number,
): Promise<Pick<Selectable<AnalyticsBehaviorLog>, "event_type" | "occurred_at" | "course_id">[]> {
  return db
    .selectFrom("analytics.behavior_log")
    .select(["event_type", "occurred_at", "course_id"])
    .where("user_id", "=", String(userId)) // int8 reads as a string in node-postgres
    .orderBy("occurred_at", "desc")
    .limit(20)
    .execute();
}

/** The leaderboard through the analytics API, typed from its OpenAPI document. */
export async function leaderboard(
  baseUrl: string,
  token: string,
  query: LeaderboardQuery = { limit: 10 },
): Promise<LeaderboardRow[]> {
  const url = `${baseUrl}/api/analytics/leaderboard?limit=${query.limit ?? 10}`;
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) {
    throw new Error(`leaderboard: HTTP ${response.status}`);
  }
  const rows: LeaderboardRoute["responses"][200]["content"]["application/json"] =
    await response.json();
  return rows;
}

/** A line per student, as a dashboard would print it. */
export function describe(row: LeaderboardRow): string {
  return `#${row.rank} ${row.display_name}: ${row.points} points`;
}
