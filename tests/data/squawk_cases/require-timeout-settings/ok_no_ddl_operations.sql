
SELECT * FROM t;
        
