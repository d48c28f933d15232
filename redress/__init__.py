"""Redress shared core: configuration, store, models, blob storage, workflow rules, audit and CLI.

The two web apps (intake/ and caseworker/) are thin layers over the services defined here; keys and
formats live in crypto/.
"""
