
alter table t add column column_very_long_very_long_very_long_very_long_very_long_very_long bigint;
        
