"""The named encrypted fields of a case, and the shape of the answers a report holds.

Both sides use these names: the reporter's side writes the fields, the staff side reads them.
"""

from __future__ import annotations

# The report itself (the answers to the questions), under the case's thread key.
REPORT_FIELD = "report"
# A reporter's confidential identity (employees may give one), under the case's identity key.
IDENTITY_FIELD = "identity"

# An answer as stored in the encrypted report: text, or the codes of the options chosen.
Answer = str | list[str]

# The rights a report can say were affected, by code (their words: redress.i18n.questions).
RIGHTS = ("privacy", "expression", "assembly", "association", "religion", "other")
