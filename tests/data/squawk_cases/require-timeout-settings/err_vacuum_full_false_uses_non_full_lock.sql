
VACUUM (FULL false) t;
        
