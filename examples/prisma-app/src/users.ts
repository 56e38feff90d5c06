import { prisma } from "./db";

/** Sign-in: one user by email (the unique index serves it). */
export async function findUserByEmail(email: string) {
  return prisma.user.findUnique({ where: { email } });
}
