-- JobForge router: the index of the dead-letter queue, for the operator's views of the
-- queue (`jobforge dead-letter list`, `jobforge jobs list --state dead`, a dashboard
-- reading jobforge.operations).
--
-- * Listings are newest first, read by keyset from the primary key: job ids are version 7
--   UUIDs whose first 48 bits are the enqueue time, so `id < cursor ORDER BY id DESC`
--   walks the primary key backwards and a deep page costs what the first does. An age
--   filter is a bound on the id. No index on created_at is needed.
-- * Dead jobs are a small, slowly growing share of a busy table: read through the primary
--   key, a page of them would skip every live and succeeded job in between. This partial
--   index holds dead jobs only, so it stays small and costs the hot path nothing: only a
--   job's death writes to it, never an enqueue, a claim or a completion.
-- * Full indexes for other filters (tenant, type) were measured and left out: each would
--   add over a quarter to the WAL an enqueue writes and a sixth to a claim and its
--   completion (a state change is never a HOT update, so every index is written again). Those filters walk the primary key and skip rows that
--   do not match: fast for any filter matching one job in a few hundred, slower for rarer
--   ones (figures: `python -m benchmarks bench_operations`).
-- * IF NOT EXISTS: an operator may build it beforehand with CREATE INDEX CONCURRENTLY
--   (docs/RUNBOOK.md, "Upgrading to migration 0007").

CREATE INDEX IF NOT EXISTS jobforge_jobs_dead_idx
    ON jobforge.jobforge_jobs (id)
    WHERE state = 'dead';
