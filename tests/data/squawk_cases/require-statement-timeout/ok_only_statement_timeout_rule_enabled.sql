
SET statement_timeout = '5s';
ALTER TABLE t ADD COLUMN c BOOLEAN;
        
