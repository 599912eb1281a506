
        truncate a, b, c;
        truncate a;
        
