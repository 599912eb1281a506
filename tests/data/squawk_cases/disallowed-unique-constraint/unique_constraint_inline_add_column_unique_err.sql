
ALTER TABLE foo ADD COLUMN bar text UNIQUE;
        
