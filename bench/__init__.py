"""Benchmarks that print comparable figures: ``make bench`` or ``python -m bench [NAME ...]``.

Each ``bench/bench_NAME.py`` module exposes ``run(settings)``, which returns or yields its
figures (see bench/harness.py); ``python -m bench`` finds them all, so a new benchmark is just a
new module. ``python -m bench --smoke`` runs them all at tiny sizes, as the test suite does.
"""
