import { prisma } from "../db";

/** A project board: its tasks with their comments, one query per level. */
export async function projectBoard(projectId: string) {
  return prisma.project.findUnique({
    where: { id: projectId },
    include: { tasks: { orderBy: { createdAt: "asc" }, include: { comments: true } } },
  });
}

/** Archiving a project happens in a transaction. */
export async function archiveProject(projectId: string) {
  await prisma.$transaction(async (tx) => {
    await tx.project.update({ where: { id: projectId }, data: { archived: true } });
  });
}
