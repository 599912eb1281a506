
REINDEX (CONCURRENTLY false) INDEX idx;
        
