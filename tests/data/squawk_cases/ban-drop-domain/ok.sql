CREATE DOMAIN d AS integer;
