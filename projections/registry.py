"""Every projection of the application; their names key the checkpoints, so they never change."""

from __future__ import annotations

from projections.accounts import AccountsProjection, ContactsProjection
from projections.calendar import CalendarProjection
from projections.feed_tokens import FeedTokensProjection
from projections.messages import MessagesProjection
from projections.projection import Projection
from projections.trajectories import TrajectoriesProjection

TRAJECTORIES = TrajectoriesProjection.name
MESSAGES = MessagesProjection.name
ACCOUNTS = AccountsProjection.name
CONTACTS = ContactsProjection.name
CALENDAR = CalendarProjection.name
FEED_TOKENS = FeedTokensProjection.name


def all_projections() -> list[Projection]:
    """Fresh instances of every projection, in the order a catch-up runs them."""
    return [
        TrajectoriesProjection(),
        MessagesProjection(),
        AccountsProjection(),  # issue 22: accounts, tokens, sessions, sign-in links and failures
        ContactsProjection(),  # issue 22: contact persons, where a one-time sign-in link may go
        CalendarProjection(),  # issue 22: calendar feeds
        FeedTokensProjection(),  # issue 22: calendar feeds
    ]
