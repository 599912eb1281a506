
create table short_name (col bigint);
        
