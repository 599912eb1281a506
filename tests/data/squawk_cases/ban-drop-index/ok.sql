CREATE INDEX i ON t (id);
