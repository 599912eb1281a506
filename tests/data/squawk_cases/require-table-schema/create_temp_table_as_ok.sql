
CREATE TEMP TABLE temp_mapping_table AS SELECT 1;
