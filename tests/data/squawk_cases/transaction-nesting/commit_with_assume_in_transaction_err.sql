
SELECT 1;
COMMIT;
        
