"""The metrics tests use the feed tests' app, clock, world and per-request principal."""

from tests.feeds.conftest import accounts, app, client, world  # noqa: F401  (fixtures)
