-- Students under 50 % progress, by progress: at_risk_students finds its bound from the lowest.
-- Built CONCURRENTLY, outside a transaction, so the rollup triggers go on meanwhile.
-- depends: 0021.create-index-users-signup
-- transactional: false

SET lock_timeout = '1min';
-- No statement timeout: a CONCURRENTLY build cut short leaves an INVALID index behind.
SET statement_timeout = 0;

CREATE INDEX CONCURRENTLY IF NOT EXISTS student_summary_low_progress_idx
    ON analytics.student_summary (avg_progress)
    WHERE avg_progress < 0.5;
