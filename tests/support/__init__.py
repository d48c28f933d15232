"""Helpers that give tests real infrastructure: a throwaway PostgreSQL and headless Chromium."""
