"""API permissions that ask a rule of ``review.rules`` for the whole resource."""

from rest_framework import permissions

from review.rules import allows, refusal


class RulePermission(permissions.BasePermission):
    """The resource is read (and acted on) only by those ``perm`` lets in; the others get 403
    with the rule's reason, as its page gives."""

    perm = ""

    def has_permission(self, request, view) -> bool:
        if allows(request.user, self.perm):
            return True
        self.message = refusal(request.user, self.perm)
        return False


class ReadsExpertPool(RulePermission):
    perm = "review.view_experts"


class RunsSpotChecks(RulePermission):
    perm = "review.spot_check"
