"""The file sender: each message exactly once, as a well-formed RFC 5322 e-mail with a stable Message-ID."""

from __future__ import annotations

import asyncio
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from activities.sender import FileSender, OutgoingMessage, SendFailed, message_id_header

MESSAGE = OutgoingMessage(
    message_id="2f9f8c75-d544-5251-94fa-42b5130d5cf7",
    trajectory_id="t1",
    kind="announcement",
    recipient="anna@bibliotheek.example",
    subject="Aankondiging audit 2026-K4 – Bibliotheek Hengelo",
    body="Beste Anna,\n\nDe audit vindt plaats in 2026-K4 (één of twee dagdelen).\n",
    created_at="2026-06-30T07:00:00+00:00",
)


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


async def test_a_retried_send_writes_the_message_once(tmp_path: Path) -> None:
    """Send, send again, and eight concurrent sends: one file, one first-time send, no temporary leftovers."""
    sender = FileSender(tmp_path)
    first = await sender.send(MESSAGE)
    again = await sender.send(MESSAGE)
    racing = await asyncio.gather(*(FileSender(tmp_path).send(MESSAGE) for _ in range(8)))
    assert not first.already_sent and again.already_sent and all(r.already_sent for r in racing)
    assert names(tmp_path) == [f"{MESSAGE.message_id}.eml"]


async def test_concurrent_first_sends_write_one_file(tmp_path: Path) -> None:
    """Two workers sending the same new message at once: exactly one of them writes it."""
    results = await asyncio.gather(*(FileSender(tmp_path).send(MESSAGE) for _ in range(8)))
    assert sum(not r.already_sent for r in results) == 1
    assert len(names(tmp_path)) == 1


async def test_the_file_is_an_rfc5322_message_with_a_stable_message_id(tmp_path: Path) -> None:
    """Headers and Dutch text survive a round trip through the e-mail parser; the Date is the message's own."""
    receipt = await FileSender(tmp_path, "CBCT planning <planning@cbct.nl>").send(MESSAGE)
    parsed = message_from_bytes(await asyncio.to_thread(Path(receipt.location).read_bytes), policy=policy.default)
    assert parsed["Message-ID"] == message_id_header(MESSAGE.message_id) == f"<{MESSAGE.message_id}@cbct-trajectories>"
    assert parsed["To"] == MESSAGE.recipient and parsed["Subject"] == MESSAGE.subject
    assert parsed["Date"] == "Tue, 30 Jun 2026 07:00:00 +0000"
    text = parsed.get_body(("plain",))
    assert text is not None and text.get_content().startswith(MESSAGE.body)


def test_message_ids_that_are_not_atext_are_escaped_injectively() -> None:
    """A ':' is not allowed in a Message-ID's left part; escaping keeps distinct ids distinct."""
    assert message_id_header("a:b") == "<a%3Ab@cbct-trajectories>"
    assert message_id_header("a:b") != message_id_header("a_b") != message_id_header("a%3Ab")


async def test_a_sender_that_cannot_write_fails_without_leaving_a_file(tmp_path: Path) -> None:
    """An unwritable outbox raises SendFailed (the workflow retries later); nothing half-written remains."""
    blocked = tmp_path / "not-a-directory"
    await asyncio.to_thread(blocked.write_text, "")
    with pytest.raises(SendFailed):
        await FileSender(blocked / "outbox").send(MESSAGE)
    assert names(tmp_path) == ["not-a-directory"]
