-- The two tables of an `exim-log parquet -o DATASET ...` dataset as views.
-- Replace DATASET with the dataset directory (the test does it, see
-- exim-log-py/tests/test_arrow.py). `server` and `date` come from the
-- hive-partitioned directory names (server=NAME/date=YYYY-MM-DD).
CREATE OR REPLACE VIEW lines AS
    SELECT * FROM read_parquet('DATASET/lines/*/*/*.parquet', hive_partitioning = true);
CREATE OR REPLACE VIEW messages AS
    SELECT * FROM read_parquet('DATASET/messages/*/*/*.parquet', hive_partitioning = true);
