from django.contrib.auth import views as auth_views
from django.urls import path

from grading import views
from grading.views import accounts

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("inbox/", views.inbox, name="inbox"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/login/code/", accounts.login_code, name="login-code"),
    path("accounts/second-factor/", accounts.second_factor, name="second-factor"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        accounts.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/register/", views.register, name="register"),
    path("registrations/<int:pk>/", views.registration_decide, name="registration-decide"),
    path("enterprises/", views.enterprise_list, name="enterprise-list"),
    path("enterprises/new/", views.enterprise_edit, name="enterprise-create"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise-detail"),
    path("enterprises/<int:pk>/edit/", views.enterprise_edit, name="enterprise-edit"),
    path("enterprises/<int:pk>/violations/", views.violation_add, name="violation-add"),
    path(
        "enterprises/<int:pk>/violations/<int:record_pk>/revoke/",
        views.violation_revoke,
        name="violation-revoke",
    ),
    path("audit/", views.audit_trail, name="audit-trail"),
    path("industries/", views.industry_list, name="industry-list"),
    path("industries/<str:code>/", views.industry_detail, name="industry-detail"),
]
