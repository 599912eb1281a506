
DROP TABLE IF EXISTS some_table;
        
