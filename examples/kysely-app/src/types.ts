export interface Database {
  workspaces: { id: number; name: string };
  agents: { id: number; workspace_id: number; email: string; name: string };
  tickets: { id: number; workspace_id: number; assignee_id: number | null; status: string; subject: string; created_at: Date; closed_at: Date | null };
  messages: { id: number; ticket_id: number; author_id: number | null; body: string; created_at: Date };
}
