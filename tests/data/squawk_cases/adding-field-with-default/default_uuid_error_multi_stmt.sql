
alter table t set logged, add column c integer default uuid();
        
