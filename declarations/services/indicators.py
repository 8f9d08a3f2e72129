"""The indicators page saved in one go (R-DECL-3): what the enterprise typed in each row of
the comparison table, and the files it chose, are saved together or not at all, so nothing
typed is lost because a file was uploaded (or refused)."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from declarations.models import Declaration, Evidence, IndicatorRow
from declarations.services.drafting import (
    evidence_upload,
    indicator_row_update,
    lock_declaration,
    require_preparer,
)
from grading.models import User


@dataclass(frozen=True, eq=False)
class EvidenceUpload:
    """A file to store: for an indicator row, in a section, or in place of an older file."""

    upload: UploadedFile
    title: str = ""
    section: str = Evidence.Section.INDICATOR
    is_confidential: bool = False
    replaces: Evidence | None = None


@dataclass(frozen=True, eq=False)
class IndicatorRowChange:
    """One row of the page: its new values (None: the text is unchanged) and its files."""

    row: IndicatorRow
    values: dict | None = None
    uploads: tuple[EvidenceUpload, ...] = ()


class IndicatorPageRefused(ValidationError):
    """Some of the page's changes were refused; nothing was saved. ``failures`` pairs each
    refused change (an ``IndicatorRowChange`` for its text, an ``EvidenceUpload``) with why."""

    def __init__(self, failures: list[tuple[object, ValidationError]]):
        self.failures = failures
        super().__init__([m for _item, exc in failures for m in exc.messages])


@dataclass
class IndicatorPageSaved:
    rows: list[IndicatorRow] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)

    def summary(self) -> str:
        if not self.rows and not self.evidence:
            return _("没有需要保存的修改")
        return _("已保存%(rows)d项指标，上传%(files)d个文件") % {
            "rows": len(self.rows),
            "files": len(self.evidence),
        }


@transaction.atomic
def indicator_page_save(
    *,
    actor: User,
    declaration: Declaration,
    rows: list[IndicatorRowChange],
    others: list[EvidenceUpload] = (),
) -> IndicatorPageSaved:
    """Save the rows' statements, applicability and self-assessment with the files chosen for
    them (R-DECL-3) and the other materials, in one transaction. Every change is tried, so
    all refusals are reported at once (``IndicatorPageRefused``); if any is refused, nothing
    is kept, the stored files included. Each saved row and file records its own event."""
    declaration = lock_declaration(declaration)
    require_preparer(actor, declaration)
    saved = IndicatorPageSaved()
    failures: list[tuple[object, ValidationError]] = []

    def attempt(item, fn):
        try:
            with transaction.atomic():
                return fn()
        except ValidationError as exc:
            failures.append((item, exc))
            return None

    def upload(item: EvidenceUpload, row: IndicatorRow | None) -> Evidence | None:
        evidence = attempt(
            item,
            lambda: evidence_upload(
                actor=actor,
                declaration=declaration,
                upload=item.upload,
                title=item.title,
                # A replacement belongs where the file it replaces was.
                section=item.replaces.section if item.replaces else item.section,
                indicator_row=row,
                replaces=item.replaces,
                is_confidential=item.is_confidential,
            ),
        )
        if evidence is not None:
            saved.evidence.append(evidence)
        return evidence

    try:
        for change in rows:
            if change.row.declaration_id != declaration.pk:
                failures.append((change, ValidationError(_("指标不属于本申报"))))
                continue
            if change.values is not None:
                row = attempt(
                    change,
                    lambda change=change: indicator_row_update(
                        actor=actor, row=change.row, **change.values
                    ),
                )
                if row is not None:
                    saved.rows.append(row)
            for item in change.uploads:
                upload(item, change.row)
        for item in others:
            upload(item, None)
        if failures:
            raise IndicatorPageRefused(failures)
    except Exception:
        for evidence in saved.evidence:  # no stored file outlives the rolled-back rows
            evidence.file.delete(save=False)
        raise
    return saved
