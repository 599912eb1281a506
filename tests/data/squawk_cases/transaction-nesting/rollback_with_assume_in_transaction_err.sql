
SELECT 1;
-- Not sure why rollback would be used in a migration, but test for completeness
ROLLBACK;
        
