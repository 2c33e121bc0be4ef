-- The worker's presence queries, one named block each (see jobforge.db.queries for the
-- format). Parsed once by jobforge.worker.presence.

-- record_worker_presence --
-- Record that this worker is alive now (stopped false) or has just stopped cleanly.
SELECT jobforge.jobforge_record_worker_presence(
    %(worker_id)s, %(hostname)s, %(pid)s, %(version)s, %(job_types)s::text[], %(stopped)s
) AS recorded_at;
