-- Trajectories that live in a simulated world (`cbct demo`, rehearsals): their workflows ran on the
-- time-skipping server, and their world stands still where its clock stopped. Workers never start a
-- workflow for them (`cbct workflows reconcile`), which would replay years of deadlines on the real
-- clock. Bookkeeping of the world, like projection checkpoints; the trajectories' facts stay events.
CREATE TABLE simulated_trajectories (
    trajectory_id  text        PRIMARY KEY,
    world          text        NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now()
);
