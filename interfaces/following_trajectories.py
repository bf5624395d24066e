"""A `TrajectoryClient` that follows the Temporal supervisor's client.

When the embedded server is revived on another address, the supervisor connects a new client and gives
it to the worker's polls. Everything else that sends to the workflows in the same process (the HTTP
commands of `cbct serve`, the worker's periodic reconcile) must follow it too, or it keeps sending to a
dead address for as long as the process lives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio.client import Client

from workflows.client import TrajectoryClient

if TYPE_CHECKING:
    from application.command_signature import CommandSigner
    from infrastructure.temporal_supervisor import TemporalSupervisor


class FollowingTrajectories(TrajectoryClient):
    """A `TrajectoryClient` on the client the supervisor holds at the moment of each call."""

    def __init__(self, supervisor: TemporalSupervisor, *, signer: CommandSigner | None = None) -> None:
        self._supervisor = supervisor
        super().__init__(supervisor.client, signer=signer)

    @property
    def client(self) -> Client:
        return self._supervisor.client

    @client.setter
    def client(self, value: Client) -> None:
        """Ignored: the supervisor's client is the one."""
