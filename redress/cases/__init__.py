"""What a case is made of, shared by the reporter's side and the staff side.

Owns the ids of a case's encrypted fields and the shape of answers, the two-way thread, attachments
and uploads encrypted while they are received, the workflow's status transitions, deadlines and
their urgency (in Python and in SQL), and the organisation settings that set them.

May import: ``redress.staff``, ``redress.keys``, ``redress.audit``, ``redress.store``, ``crypto``.
"""
