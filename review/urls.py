from django.urls import path

from review.views import (
    annual,
    appeals,
    cases,
    downgrades,
    experts,
    guarantee,
    spot_checks,
    units,
)

app_name = "review"
urlpatterns = [
    path("", cases.queue, name="queue"),
    path("open/<int:declaration_pk>/", cases.case_open, name="open"),
    path("cases/<int:pk>/", cases.case_detail, name="case"),
    path("rectifications/<int:pk>/", cases.rectification_action, name="rectification"),
    path("forms/<int:form_pk>/download/", cases.approval_form_download, name="form-download"),
    path("opinions/<int:opinion_pk>/form/", cases.approval_form_rerender, name="form-rerender"),
    path("photos/<int:pk>/", cases.photo_view, name="photo"),
    path(
        "rectification-photos/<int:pk>/",
        cases.rectification_photo_view,
        name="rectification-photo",
    ),
    path(
        "cases/<int:pk>/evidence/<int:evidence_pk>/",
        cases.case_evidence_download,
        name="case-evidence",
    ),
    path("experts/", experts.experts, name="experts"),
    path("experts/<str:username>/", experts.expert_detail, name="expert"),
    path("units/", units.unit_list_page, name="units"),
    path("units/<int:pk>/", units.unit_detail, name="unit"),
    path("spot-checks/", spot_checks.spot_checks, name="spot-checks"),
    path("spot-checks/<int:pk>/", spot_checks.sample_detail, name="sample"),
    path("proposals/<int:pk>/", spot_checks.proposal_decide, name="proposal"),
    path("downgrades/", downgrades.downgrade_list_page, name="downgrades"),
    path("downgrades/<int:pk>/", downgrades.downgrade_detail, name="downgrade"),
    path(
        "case-opinions/<int:opinion_pk>/form/",
        downgrades.case_form_rerender,
        name="case-form-rerender",
    ),
    path(
        "case-forms/<int:form_pk>/download/",
        downgrades.case_form_download,
        name="case-form-download",
    ),
    path(
        "change-reports/<int:pk>/re-review/",
        downgrades.change_report_re_review,
        name="change-re-review",
    ),
    path("appeals/", appeals.appeal_list_page, name="appeals"),
    path("appeals/new/", appeals.appeal_new, name="appeal-new"),
    path("appeals/<int:pk>/", appeals.appeal_detail, name="appeal"),
    path("appeal-files/<int:pk>/", appeals.appeal_file_download, name="appeal-file"),
    path("cases/<int:pk>/co-review/", guarantee.co_review_record, name="guarantee-co-review"),
    path("guarantee/", guarantee.guarantee_list_page, name="guarantee"),
    path("direct/", annual.direct_grade, name="direct"),
    path("reapply/", annual.reapply, name="reapply"),
    path("reapply/decide/", annual.reapply_decide, name="reapply-decide"),
]
