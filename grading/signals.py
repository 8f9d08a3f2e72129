"""What the grading app announces to the stages above it (they connect receivers in their
``AppConfig.ready()``; grading never imports them)."""

from django.dispatch import Signal

#: Sent inside the transaction of ``grade_record_add`` after an industry's grade is recorded
#: and the overall grade refreshed. Arguments: ``enterprise``, ``industry``, ``grade``,
#: ``record`` (the new ``GradeRecord``) and ``actor`` (a ``User`` or None for the system).
grade_recorded = Signal()

#: Sent inside the transaction of ``violation_record_add`` after a violation record is saved
#: (R-DYN-1: the review stage opens a downgrade case for the kinds that call for one).
#: Arguments: ``record`` (the new ``ViolationRecord``), ``enterprise`` and ``actor``.
violation_recorded = Signal()
