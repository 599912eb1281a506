
BEGIN;
CREATE TABLE users (id bigint);
COMMIT;
        
