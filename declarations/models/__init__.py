"""The enterprise's side of the flow: declarations with their sections, tables, evidence and
versions (``declarations``), and what a graded enterprise reports during the year
(``changes``: change reports, R-ELIG-5; ``guarantee``: leaving the guarantee list, R-GUAR-3)."""

from declarations.models.changes import ChangeReport, ChangeReportFile
from declarations.models.declarations import (
    Batch,
    Declaration,
    DeclarationVersion,
    Evidence,
    IndicatorRow,
    MaterialUse,
    ProductCapacity,
    TransportVolume,
    TreatmentFacility,
    Vehicle,
    evidence_path,
    positive,
)
from declarations.models.guarantee import GuaranteeRemoval

__all__ = [
    "Batch",
    "ChangeReport",
    "ChangeReportFile",
    "Declaration",
    "DeclarationVersion",
    "Evidence",
    "GuaranteeRemoval",
    "IndicatorRow",
    "MaterialUse",
    "ProductCapacity",
    "TransportVolume",
    "TreatmentFacility",
    "Vehicle",
    "evidence_path",
    "positive",
]
