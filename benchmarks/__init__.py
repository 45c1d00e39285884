"""Benchmarks (``python -m benchmarks [--quick]``, see ``__main__``) and the synthetic
load-test data they run on (``synthetic``; ``manage.py generate_synthetic`` and
``remove_synthetic``: this package is an app for those two commands)."""
