
CREATE TABLE public.my_table AS SELECT 1;
