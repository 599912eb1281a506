
     ALTER DOMAIN domain_name ADD CONSTRAINT constraint_name CHECK (value > 0);
        
