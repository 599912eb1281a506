
CREATE TABLE my_table (id int);
