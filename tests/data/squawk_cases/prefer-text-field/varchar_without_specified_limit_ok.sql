
CREATE TABLE IF NOT EXISTS foo_table(bar_col varchar);
        
