
START TRANSACTION;
CREATE TABLE users (id bigint);
        
