"""Pure grade arithmetic: which grade is worst, what an ungraded enterprise is managed at."""

from collections.abc import Iterable

from grading.models import Grade


def worst_grade(grades: Iterable[Grade]) -> Grade | None:
    """The worst of ``grades`` by severity (R-GRADE-4: the enterprise's overall grade is the
    worst of its industries; R-GRADE-3: one unmet indicator means the next lower grade)."""
    grades = [g for g in grades if g is not None]
    if not grades:
        return None
    return max(grades, key=lambda g: (g.severity, g.code))


def grade_from_indicator_results(
    met_by_grade: dict[Grade, bool], scheme_grades: list[Grade]
) -> Grade:
    """Strict grading (R-GRADE-3): the best grade whose every indicator is met.

    ``met_by_grade`` says, for each grade of the scheme, whether all its indicators are met;
    ``scheme_grades`` is the scheme's grades from best to worst. The lowest grade needs nothing.
    """
    for grade in scheme_grades[:-1]:
        if met_by_grade.get(grade, False):
            return grade
    return scheme_grades[-1]
