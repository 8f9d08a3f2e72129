"""The life of a declaration: submit (a frozen, numbered version), withdraw, and the
transitions the review chain drives. Every transition is one recorded event (who, when,
from, to, why), in the same transaction as the state change."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from core.audit import event_record
from core.jobs import job_enqueue
from declarations.models import Batch, Declaration, DeclarationVersion
from declarations.services.checks import CheckIssue, declaration_check
from declarations.services.drafting import (
    indicator_rows_generate,
    lock_declaration,
    require_owner,
)
from declarations.tasks import render_package
from grading.models import User
from grading.rules import allows
from grading.selectors import indicator_set_in_force


class SubmissionRefused(ValidationError):
    """Submit blocked by checks; ``issues`` says what to fix and which rule (the rule code
    stays with each issue for the API and the audit, out of the message users read)."""

    def __init__(self, issues: list[CheckIssue]):
        self.issues = issues
        super().__init__([str(i.message) for i in issues], code="checks_failed")


def _transition(
    declaration: Declaration,
    name: str,
    *,
    actor,
    code: str,
    summary: str,
    reason: str = "",
    data=None,
):
    before = declaration.status
    try:
        getattr(declaration, name)()
        declaration.save()
    except (TransitionNotAllowed, ConcurrentTransition) as exc:
        raise ValidationError(
            _("申报当前状态为“%s”，不能执行此操作（可能已被他人处理，请刷新）")
            % declaration.get_status_display()
        ) from exc
    event_record(
        code=code,
        actor=actor,
        target=declaration,
        summary=summary,
        reason=reason,
        data={"from": before, "to": declaration.status, **(data or {})},
    )


def batch_for(declaration: Declaration) -> Batch | None:
    """R-TGT-4: the year's batch for the industry's category (guarantee class has its own)."""
    batches = Batch.objects.filter(year=declaration.year).order_by("deadline")
    if declaration.control_type == Declaration.ControlType.GUARANTEE:
        found = batches.filter(includes_guarantee=True).first()
        if found:
            return found
    return batches.filter(categories=declaration.industry.category).first()


def snapshot(declaration: Declaration) -> dict:
    """Everything the version froze, readable without the live rows."""
    d = declaration
    fields = {f.name: f.value_from_object(d) for f in d._meta.concrete_fields}
    for key in ("longitude", "latitude", "output_value"):
        fields[key] = str(fields[key]) if fields[key] is not None else None
    for key in ("truth_commitment_on", "reduction_commitment_on"):
        fields[key] = fields[key].isoformat() if fields[key] else None
    for key in ("created_at", "updated_at", "submitted_at"):
        fields.pop(key, None)
    ent = d.enterprise
    lines = [
        {
            "id": line.pk,
            "name": line.name,
            "products": line.products,
            "design_capacity": str(line.design_capacity or ""),
            "capacity_unit": line.capacity_unit,
            "status": line.status,
            "processes": [
                {
                    "id": p.pk,
                    "name": p.name,
                    "air": p.is_air_emitting,
                    "equipment": [
                        {
                            "name": e.name,
                            "model": e.model,
                            "quantity": e.quantity,
                            "capacity": str(e.capacity or ""),
                            "unit": e.capacity_unit,
                        }
                        for e in p.equipment.all()
                    ],
                }
                for p in line.processes.all()
            ],
        }
        for line in ent.lines.prefetch_related("processes__equipment")
    ]

    def rows(qs, *names):
        return [{n: str(getattr(o, n)) for n in names} for o in qs]

    return {
        "declaration": fields,
        "enterprise": {
            "name": ent.name,
            "uscc": ent.uscc,
            "county": ent.county.name,
            "city": ent.county.city.name if ent.county.city else "",
            "legal_representative": ent.legal_representative,
        },
        "industry": d.industry.name,
        "requested_grade": d.requested_grade.name,
        "indicator_set": {
            "id": d.indicator_set_id,
            "version": d.indicator_set.guideline_version.code,
            "scheme": d.indicator_set.scheme.code,
        },
        "lines": lines,
        "products": rows(
            d.products.select_related("line"),
            "line",
            "product",
            "capacity",
            "last_year_output",
            "unit",
        ),
        "materials": rows(
            d.materials.all(), "kind", "name", "annual_amount", "unit", "storage_transport"
        ),
        "transport": rows(d.transport.all(), "mode", "goods", "annual_tonnes"),
        "vehicles": rows(d.vehicles.all(), "plate", "vin", "engine_number", "emission_stage"),
        "facilities": rows(
            d.facilities.select_related("process"),
            "kind",
            "seq",
            "process",
            "technique",
            "commissioned_on",
            "running_status",
            "removal_efficiency",
            "concentration",
            "airflow",
        ),
        "indicators": [
            {
                "seq": r.seq,
                "category": r.category.name,
                "requirement": r.requirement,
                "applicable": r.applicable,
                "not_applicable_reason": r.not_applicable_reason,
                "statement": r.statement,
                "meets": r.meets,
                "remark": r.remark,
                "evidence": [e.pk for e in r.evidence.all() if e.replaced_by_id is None],
            }
            for r in d.indicator_rows.select_related("category").prefetch_related("evidence")
        ],
        "evidence": [
            {
                "id": e.pk,
                "title": e.title,
                "section": e.section,
                "row": e.indicator_row_id,
                "sha256": e.sha256,
                "kind": e.kind,
                "confidential": e.is_confidential,
            }
            for e in d.evidence.filter(replaced_by__isnull=True)
        ],
    }


@transaction.atomic
def _indicator_set_refresh(declaration: Declaration) -> CheckIssue | None:
    """R-GRADE-7: a declaration is judged on the indicator set in force when it is submitted.
    If a newer set has taken effect since the draft began, the rows are regenerated (and kept)
    and the enterprise must compare again before submitting."""
    declaration = lock_declaration(declaration)
    in_force = indicator_set_in_force(industry=declaration.industry, on=timezone.localdate())
    if in_force is None or in_force.pk == declaration.indicator_set_id:
        return None
    declaration.indicator_set = in_force
    declaration.save(update_fields=["indicator_set"])
    indicator_rows_generate(declaration)
    return CheckIssue(
        "R-GRADE-7",
        "indicators",
        _("适用的技术指南已更新为“%s”，指标对标表已按新版本重新生成，请核对后再提交")
        % in_force.guideline_version.name,
    )


def declaration_submit(
    *, actor: User, declaration: Declaration, rectification: str = ""
) -> DeclarationVersion:
    """Submit: run every check, freeze the package as version n+1 and send it to the county.
    A resubmission after a return states its rectification (R-DECL-6)."""
    require_owner(actor, declaration)
    if declaration.is_editable:
        refreshed = _indicator_set_refresh(declaration)
        if refreshed is not None:
            raise SubmissionRefused([refreshed])
    return _submit(actor=actor, declaration=declaration, rectification=rectification)


@transaction.atomic
def _submit(*, actor: User, declaration: Declaration, rectification: str) -> DeclarationVersion:
    declaration = lock_declaration(declaration)
    if not declaration.is_editable:
        raise ValidationError(_("申报当前状态为“%s”，不能提交") % declaration.get_status_display())
    today = timezone.localdate()
    resubmission = declaration.status == Declaration.Status.RETURNED
    if rectification:
        declaration.rectification = rectification.strip()
    issues = declaration_check(declaration, on=today)
    if resubmission and not declaration.rectification.strip():
        issues.append(
            CheckIssue("R-DECL-6", "rectification", _("退回修改后重新提交，须说明整改情况"))
        )
    if issues:
        raise SubmissionRefused(issues)
    declaration.current_version += 1
    declaration.submitted_at = timezone.now()
    declaration.batch = batch_for(declaration)
    declaration.save(update_fields=["current_version", "submitted_at", "batch", "rectification"])
    version = DeclarationVersion.objects.create(
        declaration=declaration,
        number=declaration.current_version,
        submitted_by=actor,
        submitted_at=declaration.submitted_at,
        snapshot=snapshot(declaration),
        rectification=declaration.rectification if resubmission else "",
        package_status=DeclarationVersion.RenderStatus.PENDING,
    )
    _transition(
        declaration,
        "submit",
        actor=actor,
        code="declaration.resubmitted" if resubmission else "declaration.submitted",
        summary=_("提交申报（第%d版）") % version.number,
        data={"version": version.number},
    )
    transaction.on_commit(lambda: job_enqueue(render_package, version.pk))
    return version


@transaction.atomic
def declaration_withdraw(*, actor: User, declaration: Declaration, reason: str = "") -> Declaration:
    """Back to draft, allowed until the county starts its first review."""
    declaration = lock_declaration(declaration)
    require_owner(actor, declaration)
    if declaration.status != Declaration.Status.SUBMITTED:
        raise ValidationError(_("县级已开始初审或申报未提交，不能撤回"))
    _transition(
        declaration,
        "withdraw",
        actor=actor,
        code="declaration.withdrawn",
        summary=_("撤回申报"),
        reason=reason,
    )
    return declaration


def _require_reviewer(actor: User, declaration: Declaration) -> None:
    if not allows(actor, "declarations.review_declaration", declaration):
        raise PermissionDenied(_("只有辖区生态环境部门可以处理该申报"))


@transaction.atomic
def declaration_start_review(*, actor: User, declaration: Declaration) -> Declaration:
    declaration = lock_declaration(declaration)
    _require_reviewer(actor, declaration)
    _transition(
        declaration,
        "start_review",
        actor=actor,
        code="declaration.review_started",
        summary=_("开始初审"),
    )
    return declaration


@transaction.atomic
def declaration_return(*, actor: User, declaration: Declaration, reason: str) -> Declaration:
    """Return for revision with what to fix (R-DECL-6); it comes back through the county."""
    if not reason.strip():
        raise ValidationError({"reason": _("退回修改须写明需要整改的内容")})
    declaration = lock_declaration(declaration)
    _require_reviewer(actor, declaration)
    # Each return asks for its own rectification; the last one went up with its version.
    declaration.rectification = ""
    _transition(
        declaration,
        "return_for_revision",
        actor=actor,
        code="declaration.returned",
        summary=_("退回企业修改"),
        reason=reason,
    )
    return declaration


@transaction.atomic
def declaration_close(
    *, actor: User, declaration: Declaration, decided: bool, reason: str = ""
) -> Declaration:
    """Close a declaration under review: decided (a grade was given) or rejected. Called by the
    review chain's decision services inside their transaction."""
    declaration = lock_declaration(declaration)
    _require_reviewer(actor, declaration)
    if decided:
        _transition(
            declaration,
            "decide",
            actor=actor,
            code="declaration.decided",
            summary=_("审核认定完成"),
            reason=reason,
        )
    else:
        if not reason.strip():
            raise ValidationError({"reason": _("不予通过须写明理由")})
        _transition(
            declaration,
            "reject",
            actor=actor,
            code="declaration.rejected",
            summary=_("不予通过"),
            reason=reason,
        )
    return declaration
