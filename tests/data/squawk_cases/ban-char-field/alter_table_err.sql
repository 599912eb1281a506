
alter table t add column c char;
        
