
BEGIN;
CREATE TABLE users (id bigint);
ROLLBACK;
        
