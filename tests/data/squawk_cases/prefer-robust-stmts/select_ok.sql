
select 1; -- so we don't skip checking
SELECT 1;
        
