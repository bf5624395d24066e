"""The retry line of a command cut off before its answer: the command as typed, with its id."""

from __future__ import annotations

import shlex

from interfaces.cli.retry import CommandNotDone, NoAnswer, retry_command


def test_the_retry_command_is_the_command_as_typed_with_its_id_and_survives_the_shell() -> None:
    """Arguments with spaces and quotes come back as the same argv; the id is added once at the end."""
    argv = ["intake", "record", "t-1", "--locations", "Vestiging 'de Brug'", "--employees", "40"]
    line = retry_command(argv, "cli-1")
    assert shlex.split(line) == ["cbct", *argv, "--command-id", "cli-1"]


def test_a_given_command_id_is_replaced_not_repeated() -> None:
    """`--command-id X` and `--command-id=X` give way to the id the command was sent with."""
    for given in (["--command-id", "old"], ["--command-id=old"]):
        line = retry_command(["intake", "send", "t-1", *given, "--format", "json"], "mine")
        assert shlex.split(line) == ["cbct", "intake", "send", "t-1", "--format", "json", "--command-id", "mine"]


def test_the_line_names_the_id_the_reason_and_ends_with_the_retry() -> None:
    """One line: the id, why (the wait that ran out), and the retry command last (to copy)."""
    not_done = CommandNotDone("cli-7", retry_command(["intake", "send", "t-1"], "cli-7"))
    line = not_done.line(str(NoAnswer(30)))
    assert "\n" not in line and "cli-7" in line and "30 s" in line
    assert line.endswith("cbct intake send t-1 --command-id cli-7")
