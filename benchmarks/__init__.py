"""Benchmarks for issue 4: ``python -m benchmarks [--quick]`` (see ``__main__``)."""
