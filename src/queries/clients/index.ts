// The client recognizers the code walker asks, in order: the first that recognizes a call wins.
import type { QueryClient } from "./client.js";
import { drizzleClient } from "./drizzle.js";
import { kyselyClient } from "./kysely.js";
import { prismaClient } from "./prisma.js";
import { sqlInCode } from "./sql-in-code.js";
import { supabaseJs } from "./supabase-js.js";

export const CODE_CLIENTS: readonly QueryClient[] = [supabaseJs, sqlInCode, kyselyClient, drizzleClient, prismaClient];
