import { db } from "./db";

/** Sign-in: one agent by email (the unique constraint serves it). */
export async function agentByEmail(email: string) {
  return db.selectFrom("agents").selectAll().where("email", "=", email).executeTakeFirst();
}

/** An agent's open queue: nothing indexes tickets by assignee. */
export async function openQueue(assigneeId: number) {
  return db
    .selectFrom("tickets")
    .select(["id", "subject"])
    .where((eb) => eb.and([eb("assignee_id", "=", assigneeId), eb("closed_at", "is", null)]))
    .orderBy("created_at", "asc")
    .limit(50)
    .execute();
}

/** The newest messages of a ticket. */
export async function latestMessages(ticketId: number) {
  return db
    .selectFrom("messages")
    .innerJoin("agents", "agents.id", "messages.author_id")
    .select(["messages.id", "messages.body", "agents.name"])
    .where("messages.ticket_id", "=", ticketId)
    .orderBy("messages.created_at", "desc")
    .limit(20)
    .execute();
}

/** Closes a workspace's stale tickets, one ticket at a time. */
export async function closeStale(workspaceId: number, before: Date) {
  const stale = await db
    .selectFrom("tickets")
    .select("id")
    .where("workspace_id", "=", workspaceId)
    .where("created_at", "<", before)
    .execute();
  for (const ticket of stale) {
    await db.updateTable("tickets").set({ status: "closed" }).where("id", "=", ticket.id).execute();
    await db.deleteFrom("messages").where("ticket_id", "=", ticket.id).execute();
  }
}
