-- Indexes for the HTTP API's lists (interfaces/http/queries.py): keyset pages in their sort order, and
-- the readers' scopes (an auditee's certificate number, an auditor's name). The projections rewrite
-- these rows every batch, but the indexed columns rarely change, so most updates stay heap-only.
CREATE INDEX trajectories_by_organisation ON trajectories (organisation, trajectory_id);
CREATE INDEX trajectories_by_certificate ON trajectories (certificate_number);
CREATE INDEX trajectories_by_expert_auditor ON trajectories (expert_auditor) WHERE expert_auditor IS NOT NULL;
CREATE INDEX trajectories_by_peer_auditor ON trajectories (peer_auditor) WHERE peer_auditor IS NOT NULL;
CREATE INDEX deadlines_by_due ON deadlines (due_at, deadline_id);
CREATE INDEX postponement_requests_by_urgency ON postponement_requests (decide_by, trajectory_id, request_number);
