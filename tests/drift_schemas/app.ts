import { sql } from "drizzle-orm";
import { pgTable, pgEnum, pgSchema, pgSequence, serial, integer, bigint, text, varchar, boolean, timestamp, numeric, jsonb, uuid, index, uniqueIndex, primaryKey, unique, check, foreignKey, doublePrecision, date, char, smallint, bigserial } from "drizzle-orm/pg-core";

export const mood = pgEnum("mood", ["sad", "ok", "happy"]);
export const billing = pgSchema("billing");
export const status = billing.enum("status", ["open", "paid"]);
export const counter = pgSequence("counter", { startWith: 100, increment: 2 });

export const users = pgTable("users", {
  id: serial("id").primaryKey(),
  email: varchar("email", { length: 256 }).notNull().unique(),
  name: text("name").default("anon"),
  mood: mood("mood").default("ok").notNull(),
  score: integer("score").default(0),
  neg: integer("neg").default(-1),
  price: numeric("price", { precision: 10, scale: 2 }).default("9.99"),
  ratio: doublePrecision("ratio"),
  meta: jsonb("meta").default({}),
  tags: text("tags").array().default(sql`'{}'::text[]`),
  active: boolean("active").default(true),
  born: date("born"),
  code: char("code", { length: 2 }),
  small: smallint("small"),
  createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).defaultNow().notNull(),
  updatedAt: timestamp("updated_at").default(sql`CURRENT_TIMESTAMP`),
  deletedAt: timestamp("deleted_at", { mode: "string" }),
}, (t) => [
  index("users_name_idx").on(t.name).where(sql`${t.deletedAt} is null`),
  index("users_created_idx").on(t.createdAt.desc()),
  index("users_lower_email_idx").using("btree", sql`lower(${t.email})`),
  check("score_positive", sql`${t.score} >= 0`),
]);

export const posts = pgTable("posts", {
  id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
  userId: integer("user_id").references(() => users.id, { onDelete: "cascade" }),
  title: text("title").notNull(),
  slug: text("slug"),
  big: bigint("big", { mode: "number" }).generatedByDefaultAsIdentity({ startWith: 10 }),
}, (t) => [
  unique("posts_slug_title_unique").on(t.slug, t.title),
  uniqueIndex("posts_title_idx").on(t.title),
]);

export const tagsOnPosts = pgTable("tags_on_posts", {
  postId: integer("post_id").notNull(),
  tag: text("tag").notNull(),
  uid: uuid("uid").defaultRandom(),
}, (t) => [
  primaryKey({ columns: [t.postId, t.tag] }),
  foreignKey({ columns: [t.postId], foreignColumns: [posts.id], name: "top_post_fk" }).onDelete("set null").onUpdate("cascade"),
]);

export const invoices = billing.table("invoices", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  state: status("state").default("open"),
  amount: numeric("amount"),
});
