"""Forms of the cluster managers' pages: claiming a profile, keeping it current."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from clusters import provided
from clusters.models import Claim, Cluster


class ClaimForm(forms.ModelForm):
    """A claim; with a password for a visitor who has no account yet (the work email is the
    log-in), without one for a logged-in person."""

    consent = forms.BooleanField(
        label=_("I agree to the privacy notice"),
        help_text=_("We keep your name, role, work email and phone to check your claim and to "
                    "let you manage the profile."),
    )  # fmt: skip

    class Meta:
        model = Claim
        fields = ["name", "role", "work_email", "phone", "message"]
        help_texts = {
            "work_email": _("An address at the cluster's own domain is approved at once; any "
                            "other is checked by the programme team."),
        }  # fmt: skip
        widgets = {"message": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, with_password: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["work_email"].widget.attrs["autocomplete"] = "email"
        self.fields["phone"].widget.attrs["autocomplete"] = "tel"
        if with_password:
            self.fields["password"] = forms.CharField(
                label=_("Choose a password"),
                strip=False,
                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                help_text=_("Your work email and this password will log you in."),
            )

    def clean(self):
        data = super().clean()
        password, email = data.get("password"), data.get("work_email")
        if "password" in self.fields and password:
            try:
                password_validation.validate_password(password, User(username=email or ""))
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


class ProfileForm(forms.ModelForm):
    """What a manager provides about the cluster (``clusters.provided.EDITABLE``) and a logo."""

    logo_file = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG or WebP, at most 1 MB."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = Cluster
        fields = provided.EDITABLE
        labels = {
            "provided_description_es": _("Description in Spanish"),
            "provided_description_en": _("Description in English"),
            "provided_members": _("Members"),
            "provided_companies": _("Companies"),
            "provided_website": _("Website"),
        }
        help_texts = {
            "provided_offers": _("What your members offer European partners."),
            "provided_seeks": _("What partners, technology or markets you look for."),
            "provided_figures_year": _("The year your members and companies figures are for."),
        }
        widgets = {
            name: forms.Textarea(attrs={"rows": 5})
            for name in ["provided_description_es", "provided_description_en"]
        } | {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ["provided_offers", "provided_seeks"]
        }

    def clean_logo_file(self):
        upload = self.cleaned_data.get("logo_file")
        if upload:
            provided.check_logo(upload)
        return upload

    def clean(self):
        data = super().clean()
        has_figure = data.get("provided_members") is not None or (
            data.get("provided_companies") is not None
        )
        if has_figure and data.get("provided_figures_year") is None:
            self.add_error("provided_figures_year", _("Give the year these figures are for."))
        return data
