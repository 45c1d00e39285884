"""Forms for sign-up, interests, marks, the account, and the match preview."""

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.forms.utils import ErrorDict
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from clusters.i18n import sector_name_field
from clusters.models import Sector, State
from matchmaking import services
from matchmaking.countries import COUNTRY_CHOICES
from matchmaking.models import (
    PRIVACY_NOTICE_VERSION,
    Interest,
    Introduction,
    Organisation,
    Suggestion,
)

DESCRIPTION_MAX = 4000
PREVIEW_LIMIT_MAX = 50
MULTI_VALUE_MAX = 100  # values accepted per multi-valued query parameter


def website_field() -> forms.URLField:
    """An organisation's website; "example.eu" is read as https://example.eu."""
    return forms.URLField(
        label=_("Website"),
        max_length=300,
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"autocomplete": "url"}),
    )


class SignupForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=150,  # it becomes the username
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("You log in with it; we send new suggestions to it."),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    name = forms.CharField(
        label=_("Organisation name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    country = forms.ChoiceField(label=_("Country"), choices=[("", "---------"), *COUNTRY_CHOICES])
    kind = forms.ChoiceField(
        label=_("Kind of organisation"), choices=[("", "---------"), *Organisation.Kind.choices]
    )
    website = website_field()
    description = forms.CharField(
        label=_("About your organisation"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    consent = forms.BooleanField(
        label=_("I agree that my organisation's data is processed as the privacy notice says."),
        error_messages={"required": _("You need to agree to the privacy notice to sign up.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = " ".join(
            password_validation.password_validators_help_texts()
        )
        self.fields["consent"].help_text = format_html(
            '<a href="{}">{}</a>',
            reverse("matchmaking:privacy"),
            _("Read the privacy notice (version %(version)s)")
            % {"version": PRIVACY_NOTICE_VERSION},
        )

    @classmethod
    def refused(cls, data, message) -> "SignupForm":
        """The posted form with ``message`` as its only error, never validated: a refused
        sign-up tells nothing about the address (taken or not) or any other field."""
        form = cls(data)
        form.cleaned_data, form._errors = {}, ErrorDict()
        form.add_error(None, message)
        return form

    def clean_email(self):
        email = services.normalise_email(self.cleaned_data["email"])
        if services.email_taken(email):
            raise forms.ValidationError(
                _("An account with this email address already exists. Log in instead, or reset "
                  "your password."),
                code="email_taken",
            )  # fmt: skip
        return email

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1:
            email = cleaned.get("email", "")
            candidate = get_user_model()(username=email, email=email)
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class SectorChoiceField(forms.ModelMultipleChoiceField):
    """Sectors by their name in the active language, in that name's alphabetical order."""

    def label_from_instance(self, sector):
        return sector.name

    def __deepcopy__(self, memo):
        # Each form gets a copy of the field: order it by the language active now.
        field = super().__deepcopy__(memo)
        field.queryset = field.queryset.order_by(sector_name_field())
        return field


class InterestForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        help_text=_('For you, e.g. "Aerospace suppliers in the Bajío".'),
    )
    sectors = SectorChoiceField(
        label=_("Sectors"),
        queryset=Sector.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one sector.")},
    )
    states = forms.ModelMultipleChoiceField(
        label=_("Target Mexican states"),
        queryset=State.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked for anywhere in Mexico."),
    )
    kinds = forms.MultipleChoiceField(
        label=_("Kinds of cooperation"),
        choices=Interest.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one kind of cooperation.")},
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "What you offer and what you look for, in English or Spanish. Words shared with a "
            "cluster's profile count towards the score."
        ),
    )

    @classmethod
    def initial_from_preview(cls, query) -> dict:
        """A match preview's choices (its query string), to start an interest with; nothing
        if they are not valid."""
        preview = MatchPreviewForm.from_query(query)
        if not preview.is_valid():
            return {}
        data = preview.cleaned_data
        return {
            "sectors": list(data["sectors"]),
            "states": list(data["states"]),
            "kinds": list(data["kinds"]),
            "description": data["description"],
        }

    @classmethod
    def initial_for(cls, interest: Interest) -> dict:
        return {
            "title": interest.title,
            "sectors": list(interest.sectors.all()),
            "states": list(interest.states.all()),
            "kinds": list(interest.kinds),
            "description": interest.description,
        }


class MarkForm(forms.Form):
    status = forms.ChoiceField(choices=Suggestion.Status.choices)


class NotificationForm(forms.Form):
    notify_by_email = forms.BooleanField(
        label=_("Email me when new suggestions arrive"), required=False
    )
    language = forms.ChoiceField(
        label=_("Language of the emails"),
        choices=settings.LANGUAGES,
        help_text=_("Suggestion emails and account messages are written in it."),
    )  # missing or unknown in a request: the view leaves the language unchanged


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To confirm that it is you."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password."), code="wrong_password")
        return password


class MatchPreviewForm(forms.Form):
    """An ad-hoc interest, from query parameters; nothing is stored."""

    MULTI_VALUED = ("sectors", "states", "kinds")

    sectors = SectorChoiceField(
        label=_("Sectors"),
        queryset=Sector.objects.all(),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one sector.")},
    )
    states = forms.ModelMultipleChoiceField(
        label=_("Target Mexican states"),
        queryset=State.objects.all(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: anywhere in Mexico."),
    )
    kinds = forms.MultipleChoiceField(
        label=_("Kinds of cooperation"),
        choices=Interest.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    limit = forms.IntegerField(
        label=_("How many suggestions"),
        min_value=1,
        max_value=PREVIEW_LIMIT_MAX,
        required=False,
    )

    @classmethod
    def from_query(cls, query):
        """A bound form from a QueryDict; ``sectors=a,b`` counts as ``sectors=a&sectors=b``."""
        data = MultiValueDict()
        for name in cls.MULTI_VALUED:
            data.setlist(
                name,
                [
                    value.strip()
                    for raw in query.getlist(name)
                    for value in raw.split(",")
                    if value.strip()
                ],
            )
        for name in ("description", "limit"):
            if name in query:
                data[name] = query.get(name)
        return cls(data)

    def kept_choices(self) -> str:
        """The valid form's choices as a query string (the limit left out), for sign-up and
        the first interest to start from."""
        data = self.cleaned_data
        pairs = [("sectors", sector.slug) for sector in data["sectors"]]
        pairs += [("states", state.code) for state in data["states"]]
        pairs += [("kinds", kind) for kind in data["kinds"]]
        if data["description"]:
            pairs.append(("description", data["description"]))
        return urlencode(pairs)

    def clean(self):
        cleaned = super().clean()
        for name in self.MULTI_VALUED:
            if len(self.data.getlist(name)) > MULTI_VALUE_MAX:
                self.add_error(name, _("Too many values."))
        return cleaned


# --- Introductions and the organisation's profile -------------------------------------------

INTRODUCTION_MESSAGE_MAX = 1000


class IntroductionRequestForm(forms.Form):
    message = forms.CharField(
        label=_("Your message"),
        max_length=INTRODUCTION_MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": INTRODUCTION_MESSAGE_MAX}),
        help_text=_(
            "Who you are and what you propose, in at most 1,000 characters. Your contact "
            "details are shared only if the other side accepts."
        ),
        error_messages={"required": _("Write a message: say who you are and what you propose.")},
    )
    kinds = forms.MultipleChoiceField(
        label=_("Cooperation you propose"),
        choices=Interest.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one kind of cooperation.")},
    )

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if not message:
            raise forms.ValidationError(_("Write a message: say who you are and what you propose."))
        return message


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=INTRODUCTION_MESSAGE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": INTRODUCTION_MESSAGE_MAX}),
        help_text=_("Shown to the side that asked."),
    )


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("What came of it?"),
        choices=Introduction.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one of the outcomes.")},
    )


class OrganisationProfileForm(forms.ModelForm):
    website = website_field()

    class Meta:
        model = Organisation
        fields = [
            "name",
            "country",
            "website",
            "description",
            "contact_name",
            "phone",
            "visible_to_clusters",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "contact_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        }
        help_texts = {
            "contact_name": _("Shared with a cluster only once an introduction is accepted."),
            "phone": _("Shared with a cluster only once an introduction is accepted."),
        }
