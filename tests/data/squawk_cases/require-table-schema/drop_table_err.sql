
DROP TABLE my_table;
