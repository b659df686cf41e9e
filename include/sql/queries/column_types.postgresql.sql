-- a table's column names and types, for COPY's binary encoding
SELECT attname, format_type(atttypid, NULL) FROM pg_attribute
WHERE attrelid = CAST(:table AS regclass) AND attnum > 0 AND NOT attisdropped
