"""Event store benchmark: our PostgresEventStore against raw asyncpg and the `eventsourcing` library.

Run:
    python -m bench.event_store [--quick] [--seconds N] [--catchup-events N]

Server: the Postgres at CBCT_DATABASE_URL when set, otherwise the embedded server in CBCT_DATA_DIR (.cbct).
Each system gets its own fresh database (`cbct_bench_<random>_<system>`), dropped at the end even on failure.

Compared, each in the same run with the same workload:
  raw    plain asyncpg INSERT of the same rows into a table with the same columns (identity key, no
         constraints or secondary indexes): 1 event = INSERT ... VALUES, 10 events = one unnest INSERT;
         autocommit. Catch-up: SELECT of the same columns ORDER BY position in batches, JSON decoded in
         Python.
  ours   PostgresEventStore.append with exact expected versions (tracked locally) and a command id;
         catch-up with read_all(after, 1000).
  es     eventsourcing 9.5.6 PostgresApplicationRecorder.insert_events (table lock + NOTIFY + INSERT in one
         transaction), one thread per writer; catch-up with select_notifications(start, 1000), JSON decoded.

Append phases: 1, 4 and 16 concurrent writers x batches of 1 and 10 events (~300-byte JSON payloads), each
writer on its own streams; every configuration runs raw, ours, es back to back after a short warm-up.
Catch-up: each database is pre-filled by COPY (1,000 rows per transaction) and read from the start.
Progress goes to stderr; the report to stdout, whose last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import NAMESPACE_URL, uuid4, uuid5

import asyncpg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from application.event_store import START, GlobalPosition, NewEvent
from infrastructure.database import drop_database, ensure_database, open_pool, with_database
from infrastructure.embedded_postgres import EmbeddedPostgres
from infrastructure.migrations import migrate
from infrastructure.postgres_event_store import PostgresEventStore
from infrastructure.settings import Settings

WRITERS = (1, 4, 16)
BATCHES = (1, 10)
STREAMS_PER_WRITER = 4
EVENT_TYPE = "TrajectoryScored"
ES_TOPIC = "domain.trajectory:TrajectoryScored"
READ_BATCH = 1000

RAW_TABLE = """
CREATE TABLE plain_events (
    position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
    stream_id       text        NOT NULL,
    stream_version  bigint      NOT NULL,
    category        text        NOT NULL GENERATED ALWAYS AS (split_part(stream_id, '-', 1)) STORED,
    event_id        uuid        NOT NULL,
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL,
    data            jsonb       NOT NULL,
    correlation_id  text,
    causation_id    text,
    command_id      text,
    actor           text,
    recorded_at     timestamptz NOT NULL DEFAULT now()
)"""
RAW_INSERT_ONE = """
INSERT INTO plain_events (stream_id, stream_version, event_id, event_type, schema_version, data, command_id)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)"""
RAW_INSERT_MANY = """
INSERT INTO plain_events (stream_id, stream_version, event_id, event_type, schema_version, data, command_id)
SELECT $1, $2 + t.ord, t.event_id, t.event_type, t.schema_version, t.data::jsonb, $6
FROM unnest($3::uuid[], $4::text[], $5::int[], $7::text[]) WITH ORDINALITY
    AS t(event_id, event_type, schema_version, data, ord)"""
RAW_SELECT = """
SELECT position, transaction_id::text::bigint AS transaction_id, stream_id, stream_version, event_id,
    event_type, schema_version, data::text AS data, recorded_at, correlation_id, causation_id, command_id,
    actor
FROM plain_events WHERE position > $1 ORDER BY position LIMIT $2"""
COPY_COLUMNS = [
    "stream_id",
    "stream_version",
    "event_id",
    "event_type",
    "schema_version",
    "data",
    "command_id",
]


def payload(writer: int) -> dict[str, Any]:
    """A ~300-byte domain event."""
    return {
        "trajectory_id": str(uuid4()),
        "organisation": "Bibliotheek Hengelo",
        "assessor": f"assessor-{writer:02d}",
        "phase": "assessment",
        "norm_scores": {
            "N1.1": 3,
            "N1.2": 4,
            "N2.1": 2,
            "N2.2": 3,
            "N3.1": 4,
            "N3.2": 3,
            "N4.1": 2,
            "N4.2": 4,
        },
        "evidence_ids": ["ev-0101", "ev-0107"],
        "scored_at": "2024-05-14T10:31:07+00:00",
    }


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Writer:
    """One writer's streams and the exact version of each (no conflicts, so no retries)."""

    index: int
    streams: list[Any]
    data: dict[str, Any]
    versions: list[int] = field(default_factory=list)
    turn: int = 0

    def __post_init__(self) -> None:
        self.versions = [0] * len(self.streams)

    def next(self, batch: int) -> tuple[Any, int]:
        """The next stream (rotating) and its current version; reserves `batch` versions on it."""
        s = self.turn % len(self.streams)
        self.turn += 1
        version = self.versions[s]
        self.versions[s] = version + batch
        return self.streams[s], version


def writers_for(system: str, config: str, count: int) -> list[Writer]:
    def stream(w: int, k: int) -> Any:
        return uuid4() if system == "es" else f"trajectory-{config}w{w}s{k}"

    return [Writer(w, [stream(w, k) for k in range(STREAMS_PER_WRITER)], payload(w)) for w in range(count)]


async def drive_async(op: Callable[[Writer], Awaitable[None]], writers: list[Writer], seconds: float) -> float:
    """Run every writer until the deadline; appends per second over the wall time."""
    deadline = time.perf_counter() + seconds

    async def loop(w: Writer) -> tuple[int, float]:
        n = 0
        while time.perf_counter() < deadline:
            await op(w)
            n += 1
        return n, time.perf_counter()

    t0 = time.perf_counter()
    results = await asyncio.gather(*(loop(w) for w in writers))
    return sum(n for n, _ in results) / (max(end for _, end in results) - t0)


def drive_threads(op: Callable[[Writer], None], writers: list[Writer], seconds: float) -> float:
    """Like drive_async, one thread per writer (for the synchronous eventsourcing library)."""
    barrier = threading.Barrier(len(writers) + 1)
    shared: dict[str, float] = {}
    results: list[tuple[int, float]] = [(0, 0.0)] * len(writers)
    errors: list[BaseException] = []

    def loop(i: int, w: Writer) -> None:
        barrier.wait()
        n, deadline = 0, shared["deadline"]
        try:
            while time.perf_counter() < deadline:
                op(w)
                n += 1
        except BaseException as exc:  # re-raised in the calling thread
            errors.append(exc)
        results[i] = (n, time.perf_counter())

    threads = [threading.Thread(target=loop, args=(i, w), daemon=True) for i, w in enumerate(writers)]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    shared["deadline"] = t0 + seconds
    barrier.wait()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return sum(n for n, _ in results) / (max(end for _, end in results) - t0)


# --- the three systems -------------------------------------------------------------------------------------


class Raw:
    name = "raw"

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def append(self, w: Writer, batch: int) -> None:
        stream, version = w.next(batch)
        if batch == 1:
            await self.pool.execute(
                RAW_INSERT_ONE, stream, version + 1, uuid4(), EVENT_TYPE, 1, dumps(w.data), str(uuid4())
            )
            return
        await self.pool.execute(
            RAW_INSERT_MANY,
            stream,
            version,
            [uuid4() for _ in range(batch)],
            [EVENT_TYPE] * batch,
            [1] * batch,
            str(uuid4()),
            [dumps(w.data) for _ in range(batch)],
        )

    async def catch_up(self, warm: bool = False) -> int:
        after, n = 0, 0
        while True:
            rows = await self.pool.fetch(RAW_SELECT, after, READ_BATCH)
            if not rows:
                return n
            decoded = [(r, json.loads(r["data"])) for r in rows]
            after, n = decoded[-1][0]["position"], n + len(decoded)
            if warm:
                return n


class Ours:
    name = "ours"

    def __init__(self, store: PostgresEventStore) -> None:
        self.store = store

    async def append(self, w: Writer, batch: int) -> None:
        stream, version = w.next(batch)
        events = [NewEvent(EVENT_TYPE, w.data) for _ in range(batch)]
        await self.store.append(stream, events, version, command_id=str(uuid4()))

    async def catch_up(self, warm: bool = False) -> int:
        after: GlobalPosition = START
        n = 0
        while True:
            events = await self.store.read_all(after, READ_BATCH)
            if not events:
                return n
            after, n = events[-1].global_position, n + len(events)
            if warm:
                return n


class Es:
    name = "es"

    def __init__(self, recorder: PostgresApplicationRecorder) -> None:
        self.recorder = recorder

    def append(self, w: Writer, batch: int) -> None:
        stream, version = w.next(batch)
        self.recorder.insert_events(
            [StoredEvent(stream, version + i + 1, ES_TOPIC, dumps(w.data).encode()) for i in range(batch)]
        )

    def catch_up(self, warm: bool = False) -> int:
        start: int | None = None
        n = 0
        while True:
            batch = self.recorder.select_notifications(start, READ_BATCH, inclusive_of_start=False)
            if not batch:
                return n
            for note in batch:
                json.loads(note.state)
            start, n = batch[-1].id, n + len(batch)
            if warm:
                return n


# --- set-up -----------------------------------------------------------------------------------------------


def datastore_for(url: str, pool_size: int) -> PostgresDatastore:
    """eventsourcing's datastore from a libpq URL (a unix socket URL passes its directory as host)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return PostgresDatastore(
        dbname=parts.path.lstrip("/"),
        host=parts.hostname or query.get("host", ["localhost"])[0],
        port=parts.port or int(query.get("port", ["5432"])[0]),
        user=unquote(parts.username or "") or query.get("user", ["postgres"])[0],
        password=unquote(parts.password or ""),
        pool_size=pool_size,
    )


def shown_url(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    host = parse_qs(parts.query).get("host", [""])[0]
    return f"{parts.scheme}://{parts.username or ''}@{netloc}" + (f" (socket {host})" if host else "")


def prefill_rows(n: int) -> list[tuple[Any, ...]]:
    data = dumps(payload(0))
    return [
        (f"trajectory-prefill{i // 10}", i % 10 + 1, uuid4(), EVENT_TYPE, 1, data, f"prefill-{i // 10}")
        for i in range(n)
    ]


async def prefill(url: str, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    conn = await asyncpg.connect(url)
    try:
        for i in range(0, len(rows), 1000):
            await conn.copy_records_to_table(table, records=rows[i : i + 1000], columns=columns)
        await conn.execute(f"ANALYZE {table}")
    finally:
        await conn.close()


async def time_catch_up(read: Callable[[bool], Awaitable[int]], expected: int) -> float:
    await read(True)  # warm-up: one batch
    t0 = time.perf_counter()
    n = await read(False)
    elapsed = time.perf_counter() - t0
    if n != expected:
        log(f"  warning: read {n} of {expected} events")
    return n / elapsed


async def run(seconds: float, warmup: float, catchup_events: int) -> dict[str, Any]:
    settings = Settings()
    embedded: EmbeddedPostgres | None = None
    if settings.database_url:
        base = settings.database_url
        where = f"external {shown_url(base)}"
    else:
        embedded = EmbeddedPostgres(settings.data_dir)
        base = embedded.start()
        where = f"embedded {embedded.pgdata}"
    tag = secrets.token_hex(4)
    urls = {name: with_database(base, f"cbct_bench_{tag}_{name}") for name in ("raw", "ours", "es")}
    created: list[str] = []
    datastore: PostgresDatastore | None = None
    try:
        conn = await asyncpg.connect(with_database(base, "postgres"))
        try:
            version = await conn.fetchval("SHOW server_version")
            fsync = await conn.fetchval("SHOW synchronous_commit")
        finally:
            await conn.close()
        server = f"{where}, PostgreSQL {version}"
        log(f"server: {server} (synchronous_commit={fsync})")
        for url in urls.values():
            await ensure_database(url)
            created.append(url)
        conn = await asyncpg.connect(urls["raw"])
        await conn.execute(RAW_TABLE)
        await conn.close()
        conn = await asyncpg.connect(urls["ours"])
        await migrate(conn)
        await conn.close()
        datastore = datastore_for(urls["es"], max(WRITERS))
        recorder = PostgresApplicationRecorder(datastore)
        recorder.create_table()

        size = max(WRITERS)
        async with (
            asyncpg.create_pool(urls["raw"], min_size=size, max_size=size) as raw_pool,
            open_pool(urls["ours"], Settings(pool_min_size=size, pool_max_size=size)) as ours_pool,
        ):
            store = PostgresEventStore(ours_pool)
            raw, ours, es = Raw(raw_pool), Ours(store), Es(recorder)

            # catch-up on pre-filled tables
            rows = prefill_rows(catchup_events)
            log(f"catch-up: pre-filling {catchup_events} events per system")
            await prefill(urls["raw"], "plain_events", COPY_COLUMNS, rows)
            await prefill(urls["ours"], "events", COPY_COLUMNS, rows)
            es_rows = [(uuid5(NAMESPACE_URL, r[0]), r[1], ES_TOPIC, r[5].encode()) for r in rows]
            es_columns = ["originator_id", "originator_version", "topic", "state"]
            await prefill(urls["es"], "stored_events", es_columns, es_rows)
            catchup = {
                "raw": await time_catch_up(raw.catch_up, catchup_events),
                "ours": await time_catch_up(ours.catch_up, catchup_events),
                "es": await time_catch_up(lambda warm: asyncio.to_thread(es.catch_up, warm), catchup_events),
            }
            log("  " + ", ".join(f"{k} {v:,.0f} events/s" for k, v in catchup.items()))

            # append phases, interleaved per configuration
            appends: dict[str, dict[str, float]] = {"raw": {}, "ours": {}, "es": {}}
            for batch in BATCHES:
                for count in WRITERS:
                    config = f"{count}x{batch}"
                    for system in (raw, ours, es):
                        writers = writers_for(system.name, config, count)
                        if isinstance(system, Es):

                            def op(w: Writer, s: Es = system, b: int = batch) -> None:
                                s.append(w, b)

                            await asyncio.to_thread(drive_threads, op, writers, warmup)
                            rate = await asyncio.to_thread(drive_threads, op, writers, seconds)
                        else:

                            async def aop(w: Writer, s: Raw | Ours = system, b: int = batch) -> None:
                                await s.append(w, b)

                            await drive_async(aop, writers, warmup)
                            rate = await drive_async(aop, writers, seconds)
                        appends[system.name][config] = rate
                    log(
                        f"  {config}: "
                        + ", ".join(f"{name} {appends[name][config]:,.0f}/s" for name in ("raw", "ours", "es"))
                    )
            await store.wakeup.close()
    finally:
        if datastore is not None:
            datastore.close()
        for url in created:
            try:
                await drop_database(url)
            except Exception as exc:  # keep dropping the others
                log(f"could not drop {url}: {exc}")
        if embedded is not None:
            embedded.stop()
    return {"server": server, "appends": appends, "catchup": catchup}


def report(result: dict[str, Any]) -> dict[str, Any]:
    appends, catchup = result["appends"], result["catchup"]
    configs = list(appends["ours"])
    head = (
        "config",
        "raw app/s",
        "ours app/s",
        "es app/s",
        "raw ev/s",
        "ours ev/s",
        "es ev/s",
        "ours/raw",
        "ours/es",
    )
    lines = [head]
    for config in configs:
        batch = int(config.split("x")[1])
        r, o, e = (appends[s][config] for s in ("raw", "ours", "es"))
        lines.append(
            (
                config,
                f"{r:,.0f}",
                f"{o:,.0f}",
                f"{e:,.0f}",
                f"{r * batch:,.0f}",
                f"{o * batch:,.0f}",
                f"{e * batch:,.0f}",
                f"{o / r:.2f}",
                f"{o / e:.2f}",
            )
        )
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    print(f"server: {result['server']}   (config = writers x events per append)")
    for i, row in enumerate(lines):
        print("  ".join(cell.ljust(widths[0]) if j == 0 else cell.rjust(widths[j]) for j, cell in enumerate(row)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(
        f"catch-up (read all, batches of {READ_BATCH}): raw {catchup['raw']:,.0f} events/s, "
        f"ours {catchup['ours']:,.0f} events/s, es {catchup['es']:,.0f} events/s, "
        f"ours/raw {catchup['ours'] / catchup['raw']:.2f}, ours/es {catchup['ours'] / catchup['es']:.2f}"
    )
    return {
        "append_ratio": round(min(appends["ours"][c] / appends["raw"][c] for c in configs), 3),
        "peer_ratio": round(min(appends["ours"][c] / appends["es"][c] for c in configs), 3),
        "appends_per_s": {c: round(appends["ours"][c]) for c in configs},
        "catchup_events_per_s": round(catchup["ours"]),
        "raw_appends_per_s": {c: round(appends["raw"][c]) for c in configs},
        "eventsourcing_appends_per_s": {c: round(appends["es"][c]) for c in configs},
        "raw_catchup_events_per_s": round(catchup["raw"]),
        "eventsourcing_catchup_events_per_s": round(catchup["es"]),
        "server": result["server"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="~1 s per configuration, 20,000 catch-up events")
    parser.add_argument("--seconds", type=float, help="measured seconds per configuration (default 3, quick 1)")
    parser.add_argument("--catchup-events", type=int, help="pre-filled events (default 100,000, quick 20,000)")
    args = parser.parse_args()
    seconds = args.seconds or (1.0 if args.quick else 3.0)
    catchup_events = args.catchup_events or (20_000 if args.quick else 100_000)
    result = asyncio.run(run(seconds, min(0.5, seconds / 4), catchup_events))
    summary = report(result)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
