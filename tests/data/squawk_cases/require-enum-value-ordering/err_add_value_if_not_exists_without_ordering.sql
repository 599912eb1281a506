
ALTER TYPE my_enum ADD VALUE IF NOT EXISTS 'new_value';
