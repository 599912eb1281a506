
ALTER TABLE public.my_table ADD COLUMN name text;
