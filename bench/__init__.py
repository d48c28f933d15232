"""Benchmarks that print comparable figures: ``make bench`` or ``python -m bench [NAME ...]``.

Each ``bench/bench_NAME.py`` module exposes ``run() -> list[Result]``; ``python -m bench`` finds
them all, so a new benchmark is just a new module.
"""
