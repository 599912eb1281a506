
BEGIN;
BEGIN;
COMMIT;
        
