
create table "table_very_long_very_long_very_long_very_long_very_long_very_long" (id bigint);
        
