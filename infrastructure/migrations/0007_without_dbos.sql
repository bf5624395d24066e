-- Temporal replaced DBOS (issue 10): its schema and the controlled clock's table go. Trajectories'
-- facts were never in them: they are events, and `cbct workflows reconcile` gives every open
-- trajectory its workflow again.
DROP SCHEMA IF EXISTS dbos CASCADE;
DROP TABLE IF EXISTS controlled_clock;
