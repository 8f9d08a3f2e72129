"""Authentication backend for accounts of every role."""

from django.contrib.auth.backends import AllowAllUsersModelBackend


class AccountBackend(AllowAllUsersModelBackend):
    """Django's model backend, letting inactive accounts reach the login form's own message
    (registrations awaiting the county), and answering model permissions only for the admin
    site's staff: who may do what in the site is decided by the ``rules.py`` predicates, so a
    refused predicate costs no permission queries."""

    def has_perm(self, user_obj, perm, obj=None):
        if not getattr(user_obj, "is_staff", False):
            return False
        return super().has_perm(user_obj, perm, obj)

    def has_module_perms(self, user_obj, app_label):
        if not getattr(user_obj, "is_staff", False):
            return False
        return super().has_module_perms(user_obj, app_label)
