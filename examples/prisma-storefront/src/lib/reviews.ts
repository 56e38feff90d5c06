import { sql } from "./db";

/** A product page's visible reviews, newest first. */
export async function productReviews(productId: string) {
  return sql`
    SELECT "id", "rating", "body", "createdAt"
      FROM "Review"
     WHERE "productId" = ${productId} AND NOT "hidden"
     ORDER BY "createdAt" DESC
     LIMIT 50`;
}

/** The reviews a customer wrote, for their profile page. */
export async function reviewsByAuthor(authorId: string) {
  return sql`SELECT "id", "productId", "rating" FROM "Review" WHERE "authorId" = ${authorId}`;
}
