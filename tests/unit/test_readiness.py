from infrastructure.readiness import Readiness


def test_ready_only_when_no_condition_is_down() -> None:
    readiness = Readiness()
    assert readiness.ready
    readiness.down("temporal", "server gone")
    readiness.down("database", "postmaster gone")
    assert not readiness.ready
    assert readiness.reasons == {"temporal": "server gone", "database": "postmaster gone"}
    readiness.up("temporal")
    assert not readiness.ready and set(readiness.reasons) == {"database"}
    readiness.up("database")
    readiness.up("database")  # idempotent
    assert readiness.ready and readiness.reasons == {}
