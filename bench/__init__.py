"""Benchmarks (run as modules, e.g. `python -m bench.event_store`); not part of the test suite."""
