"""Scenario files: one trajectory's commands at given moments, rehearsed in skipped time (`cbct scenario run`)."""
