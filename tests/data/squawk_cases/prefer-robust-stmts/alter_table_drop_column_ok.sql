
select 1; -- so we don't skip checking
alter table t drop column if exists c cascade;
        
