"""The staff queue of claims on cluster profiles: filters, and approve / reject / revoke.

Registered by ``clusters.admin``. Rejecting and revoking ask for a reason on an intermediate
page; the claimant receives it by email (``clusters.claims``). Claims are made on the site,
never added or edited here.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clusters import claims
from clusters.models import Claim


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the claimant)"), max_length=2000, widget=forms.Textarea
    )


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = ["cluster", "claimant", "status", "created", "decided_at"]
    list_filter = [
        "status",
        ("created", admin.DateFieldListFilter),
        "cluster__sectors",
        "cluster__state",
    ]
    search_fields = ["name", "work_email", "cluster__name", "cluster__acronym"]
    list_select_related = ["cluster"]
    ordering = ["created"]  # the oldest waiting claim first
    actions = ["approve", "reject", "revoke"]
    readonly_fields = [
        "user", "cluster", "name", "role", "work_email", "phone", "message", "consent_at",
        "consent_version", "status", "email_verified_at", "decided_at", "decided_by",
        "decision_reason", "language", "created",
    ]  # fmt: skip

    @admin.display(description=_("claimant"), ordering="name")
    def claimant(self, claim: Claim) -> str:
        return f"{claim.name} ({claim.role}) <{claim.work_email}>"

    def has_add_permission(self, request):
        return False

    def _site_url(self, request) -> str:
        return request.build_absolute_uri("/").rstrip("/")

    def _done(self, request, count: int, message: str) -> None:
        self.message_user(request, message % count, messages.SUCCESS if count else messages.WARNING)

    @admin.action(description=_("Approve the selected pending claims"), permissions=["change"])
    def approve(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        count = claims.approve(ids, user=request.user, site_url=self._site_url(request))
        self._done(request, count, ngettext("%d claim approved.", "%d claims approved.", count))

    def _with_reason(self, request, queryset, *, action: str, title, decide, message):
        """The reason page, then the decision once a reason is posted (``apply``)."""
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            ids = list(queryset.values_list("pk", flat=True))
            count = decide(
                ids,
                user=request.user,
                site_url=self._site_url(request),
                reason=form.cleaned_data["reason"],
            )
            self._done(request, count, message(count))
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "claims": queryset.select_related("cluster"),
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/clusters/claim/reason.html", context)

    @admin.action(
        description=_("Reject the selected claims (with a reason)"), permissions=["change"]
    )
    def reject(self, request, queryset):
        return self._with_reason(
            request,
            queryset,
            action="reject",
            title=_("Reject claims"),
            decide=claims.reject,
            message=lambda n: ngettext("%d claim rejected.", "%d claims rejected.", n),
        )

    @admin.action(
        description=_("Revoke the selected managers (with a reason)"), permissions=["change"]
    )
    def revoke(self, request, queryset):
        return self._with_reason(
            request,
            queryset,
            action="revoke",
            title=_("Revoke managers"),
            decide=claims.revoke,
            message=lambda n: ngettext("%d manager revoked.", "%d managers revoked.", n),
        )
