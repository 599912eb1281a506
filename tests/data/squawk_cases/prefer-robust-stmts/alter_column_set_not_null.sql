
select 1; -- so we don't skip checking
alter table t alter column c set not null;
        
