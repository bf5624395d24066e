-- Indexes for the planner's pages (issue 23), found by bench/http_pages.py on a store of 25,000 trajectories:
-- - the start page lists and counts the open trajectories by organisation: a partial index holds only
--   those (a few percent of the table), so neither the page nor its count reads the closed ones;
-- - the calendar asks for the audits with a day in a week or month: a GiST index of each audit's span,
--   first to last day (projections/calendar.py SPAN: the same expression), answers which meet the period
--   instead of a scan of every audit, and estimates how many well enough for the planner to use it.
CREATE INDEX trajectories_open_by_organisation ON trajectories (organisation, trajectory_id) WHERE is_open;
CREATE INDEX calendar_audits_span ON calendar_audits USING gist (
    daterange(least(audit_dates[1], audit_dates[array_upper(audit_dates, 1)]),
              greatest(audit_dates[1], audit_dates[array_upper(audit_dates, 1)]), '[]')
);
