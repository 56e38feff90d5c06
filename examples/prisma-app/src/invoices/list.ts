import { InvoiceStatus } from "@prisma/client";
import { prisma } from "../db";

/** A customer's open invoices: nothing indexes Invoice by customer. */
export async function openInvoicesForCustomer(customerId: string) {
  return prisma.invoice.findMany({
    where: { customerId, status: InvoiceStatus.SENT, dueAt: { lt: new Date() } },
  });
}

/** The latest invoices of a team, newest first: the team index finds them, then sorts every one. */
export async function latestInvoices(teamId: string) {
  return prisma.invoice.findMany({
    where: { teamId },
    orderBy: { createdAt: "desc" },
    take: 20,
  });
}

/** Sends reminders, one customer at a time. */
export async function remindOverdue(teamId: string) {
  const customers = await prisma.customer.findMany({ where: { teamId } });
  for (const customer of customers) {
    const overdue = await prisma.invoice.count({ where: { customerId: customer.id, status: "SENT" } });
    if (overdue > 0) await notify(customer.email, overdue);
  }
}

async function notify(email: string, count: number): Promise<void> {
  void email;
  void count;
}
