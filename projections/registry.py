"""Every projection of the application; their names key the checkpoints, so they never change."""

from __future__ import annotations

from projections.calendar import CalendarProjection
from projections.feed_tokens import FeedTokensProjection
from projections.messages import MessagesProjection
from projections.projection import Projection
from projections.trajectories import TrajectoriesProjection

TRAJECTORIES = TrajectoriesProjection.name
MESSAGES = MessagesProjection.name
CALENDAR = CalendarProjection.name
FEED_TOKENS = FeedTokensProjection.name


def all_projections() -> list[Projection]:
    """Fresh instances of every projection, in the order a catch-up runs them."""
    return [
        TrajectoriesProjection(),
        MessagesProjection(),
        CalendarProjection(),  # issue 22: calendar feeds
        FeedTokensProjection(),  # issue 22: calendar feeds
    ]
