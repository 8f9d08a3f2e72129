from django.urls import path

from review import views

app_name = "review"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("open/<int:declaration_pk>/", views.case_open, name="open"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("rectifications/<int:pk>/", views.rectification_action, name="rectification"),
    path("forms/<int:form_pk>/download/", views.approval_form_download, name="form-download"),
    path("opinions/<int:opinion_pk>/form/", views.approval_form_rerender, name="form-rerender"),
    path("photos/<int:pk>/", views.photo_view, name="photo"),
    path("experts/", views.experts, name="experts"),
    path("spot-checks/", views.spot_checks, name="spot-checks"),
    path("spot-checks/<int:pk>/", views.sample_detail, name="sample"),
    path("proposals/<int:pk>/", views.proposal_decide, name="proposal"),
    path("direct/", views.direct_grade, name="direct"),
    path("reapply/", views.reapply, name="reapply"),
]
