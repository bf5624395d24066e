"""`free_port` leaves its port in TIME_WAIT: skipped by every other `bind(0)`, bindable by its user."""

from __future__ import annotations

import socket

import psutil

from infrastructure.loopback_port import free_port


def test_the_port_is_held_in_time_wait_and_a_reusing_listener_binds_it() -> None:
    port = free_port()
    held = [
        connection
        for connection in psutil.net_connections(kind="tcp4")
        if connection.laddr and connection.laddr.port == port and connection.status == psutil.CONN_TIME_WAIT
    ]
    assert held, f"port {port} is not held in TIME_WAIT, so the next bind(0) on the machine may get it"
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(1)
