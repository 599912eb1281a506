
select 1; -- so we don't skip checking
DROP INDEX CONCURRENTLY "email_idx";
        
