"""The staff side of a case: the case list, reading and replying, triage, investigation, interim
measures, identity disclosure, grants and exclusions, approvals, reply templates, status updates
and the timeline.

May import: ``redress.cases`` and the floors below it; never ``redress.reporting``.
"""
