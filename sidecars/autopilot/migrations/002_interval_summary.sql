-- What the monitor body needs of each metric (queries, labels, problems) without the fetched points,
-- so Orca's polls of a large verification do not read every series.
ALTER TABLE verification_intervals ADD COLUMN summary jsonb NOT NULL DEFAULT '[]';
