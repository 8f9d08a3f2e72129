"""REST API of the declarations app (/api/v1/declarations/), by resource: the declaration
itself, its tables, its indicator rows and evidence, its versions, the year's batches. Thin:
validate, call a selector or service, present. Who may see a declaration is decided by
``declarations.selectors`` (404 outside the viewer's reach); who may change it, by
``declarations.rules`` through the services."""

from declarations.api.changes import ChangeReportViewSet
from declarations.api.inputs import RejectUnknownFieldsMixin
from declarations.api.viewset import DeclarationViewSet

__all__ = ["ChangeReportViewSet", "DeclarationViewSet", "RejectUnknownFieldsMixin"]
