-- Migration: 0003_today_checklist
-- Created: 2026-11-24
-- Description: Today checklist: one row per item a user plans for a day, with kind and status enums.
DO $$ BEGIN
 CREATE TYPE "public"."checklist_item_kind" AS ENUM('task', 'habit', 'reflection');
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
--> statement-breakpoint
DO $$ BEGIN
 CREATE TYPE "public"."checklist_item_status" AS ENUM('open', 'done', 'skipped');
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "today_checklist_items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"task_id" uuid,
	"day" date NOT NULL,
	"kind" "checklist_item_kind" DEFAULT 'task' NOT NULL,
	"status" "checklist_item_status" DEFAULT 'open' NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"label" text NOT NULL,
	"completed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DO $$ BEGIN
 ALTER TABLE "today_checklist_items" ADD CONSTRAINT "today_checklist_items_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
--> statement-breakpoint
DO $$ BEGIN
 ALTER TABLE "today_checklist_items" ADD CONSTRAINT "today_checklist_items_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE set null ON UPDATE no action;
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "today_checklist_items_user_day_idx" ON "today_checklist_items" USING btree ("user_id","day");--> statement-breakpoint
CREATE UNIQUE INDEX IF NOT EXISTS "today_checklist_items_user_day_position_key" ON "today_checklist_items" USING btree ("user_id","day","position");