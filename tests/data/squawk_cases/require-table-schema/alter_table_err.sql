
ALTER TABLE my_table ADD COLUMN name text;
