"""The reporter's side: submitting a report, receipts, returning to read and answer, removing
hidden metadata from files, and flood limits that need no address (with the login page's
optional proof of work).

May import: ``redress.cases`` and the floors below it; never ``redress.casework``.
"""
