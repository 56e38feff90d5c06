import { and, desc, eq, gte, sql } from "drizzle-orm";
import { db } from "../db";
import { drivers, positions, trips, vehicles } from "../db/schema";

/** A vehicle list: the organization index serves it. */
export async function listVehicles(organizationId: string) {
  return db.select().from(vehicles).where(and(eq(vehicles.organizationId, organizationId), eq(vehicles.active, true))).limit(100);
}

/** The latest trips of one vehicle, newest first. */
export async function latestTrips(vehicleId: string) {
  return db.select().from(trips).where(eq(trips.vehicleId, vehicleId)).orderBy(desc(trips.createdAt)).limit(20);
}

/** A driver's long trips since a date: nothing indexes trips by driver. */
export async function longTripsOfDriver(driverId: string, since: Date) {
  return db
    .select({ id: trips.id, plate: vehicles.plate })
    .from(trips)
    .innerJoin(vehicles, eq(vehicles.id, trips.vehicleId))
    .where(and(eq(trips.driverId, driverId), gte(trips.startedAt, since)));
}

/** A trip with its recorded positions: the relational query reads positions by trip_id. */
export async function tripWithPositions(tripId: string) {
  return db.query.trips.findFirst({
    where: (t, { eq }) => eq(t.id, tripId),
    with: { positions: true },
  });
}

/** Sign-in: one driver by email, as a prepared statement (served by the unique constraint). */
export const driverByEmail = db.select().from(drivers).where(eq(drivers.email, sql.placeholder("email"))).prepare("driver_by_email");

/** Mileage report: one query per vehicle. */
export async function mileage(organizationId: string) {
  const fleet = await db.select().from(vehicles).where(eq(vehicles.organizationId, organizationId));
  const totals: Record<string, number> = {};
  for (const vehicle of fleet) {
    const rows = await db.select({ km: trips.distanceKm }).from(trips).where(eq(trips.vehicleId, vehicle.id));
    totals[vehicle.id] = rows.reduce((sum, r) => sum + r.km, 0);
  }
  return totals;
}

export async function lastPositions(tripId: string) {
  return db.select().from(positions).where(eq(positions.tripId, tripId)).orderBy(desc(positions.recordedAt)).limit(1);
}
