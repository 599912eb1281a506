
SELECT 1;
        
