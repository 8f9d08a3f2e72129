"""Pure grade arithmetic: which of several grades is the worst."""

from collections.abc import Iterable

from grading.models import Grade


def worst_grade(grades: Iterable[Grade]) -> Grade | None:
    """The worst of ``grades`` by severity (R-GRADE-4: the enterprise's overall grade is the
    worst of its industries)."""
    grades = [g for g in grades if g is not None]
    if not grades:
        return None
    return max(grades, key=lambda g: (g.severity, g.code))
