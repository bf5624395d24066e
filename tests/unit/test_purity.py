"""The domain stays pure: no I/O libraries, no clock reads."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
FORBIDDEN_MODULES = {
    "asyncpg",
    "fastapi",
    "structlog",
    "httpx",
    "psycopg",
    "sqlalchemy",
    "aiosmtplib",
    "os",
    "socket",
    "subprocess",
    "requests",
    "smtplib",
    "pathlib",
    "tomllib",
    "random",
}
CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "today"),
    ("datetime", "utcnow"),
    ("date", "today"),
    ("time", "time"),
    ("time", "monotonic"),
    ("time", "perf_counter"),
}


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in FORBIDDEN_MODULES:
            found.append(f"from {node.module} import …")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            if (name, node.func.attr) in CLOCK_CALLS:
                found.append(f"{name}.{node.func.attr}() at line {node.lineno}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open":
            found.append(f"open() at line {node.lineno}")
    return [f"{path.name}: {v}" for v in found]


def test_the_domain_imports_no_io_and_reads_no_clock() -> None:
    """Walks every domain module's AST: forbidden imports and clock calls fail the build."""
    files = sorted(DOMAIN.glob("*.py"))
    assert len(files) > 10
    assert [v for path in files for v in _violations(path)] == []


def test_the_purity_check_catches_what_it_should(tmp_path: Path) -> None:
    """The checker itself flags an os import and a datetime.now() call."""
    sample = tmp_path / "bad.py"
    sample.write_text("import os\nfrom datetime import datetime\nx = datetime.now()\nimport time\ny = time.time()\n")
    assert _violations(sample) == [
        "bad.py: import os",
        "bad.py: datetime.now() at line 3",
        "bad.py: time.time() at line 5",
    ]
