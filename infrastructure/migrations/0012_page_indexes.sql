-- Indexes for the planner's pages (issue 23), found by bench/http_pages.py on a store of 25,000 trajectories:
-- - the start page lists and counts the open trajectories by organisation: a partial index holds only
--   those (a few percent of the table), so neither the page nor its count reads the closed ones;
-- - the calendar asks for the audits with a day in a week or month: `audit_dates && <the period's days>`
--   on a GIN index, instead of a scan of every audit.
CREATE INDEX trajectories_open_by_organisation ON trajectories (organisation, trajectory_id) WHERE is_open;
CREATE INDEX calendar_audits_days ON calendar_audits USING gin (audit_dates);
