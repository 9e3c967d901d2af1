import re
import unicodedata
import uuid
from datetime import date, timedelta

from django import forms
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

FORM_TS_SALT = "contact.form-ts"
_IDEM_RE = re.compile(r"^[0-9a-f]{32}$")
_PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,40}$")

BUDGETS = [
    ("", "Not sure yet"),
    ("lt5k", "Under €5,000"),
    ("5-15k", "€5,000 – €15,000"),
    ("15-50k", "€15,000 – €50,000"),
    ("gt50k", "Over €50,000"),
]
TIME_WINDOWS = [("morning", "Morning (9–12)"), ("afternoon", "Afternoon (12–17)"), ("evening", "Evening (17–19)")]
TOPICS = [
    ("web", "Web design & development"),
    ("marketing", "Digital marketing"),
    ("data", "Data & AI insights"),
    ("other", "Something else"),
]


_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_JOINERS = {"\u200c", "\u200d"}  # needed by Indic scripts and emoji sequences


def _has_control_chars(value: str, allow_newlines: bool) -> bool:
    allowed = _JOINERS | ({"\n", "\r", "\t"} if allow_newlines else set())
    return any(unicodedata.category(ch) in _REFUSED_CATEGORIES and ch not in allowed for ch in value)


def normalise_email(value: str) -> str:
    """Trim and lower-case the domain; the local part is case-sensitive by the RFC, so keep it."""
    local, _, domain = value.strip().rpartition("@")
    return f"{local}@{domain.lower()}"


def signed_form_timestamp(rendered_at: float | None = None) -> str:
    rendered_at = timezone.now().timestamp() if rendered_at is None else rendered_at
    return signing.TimestampSigner(salt=FORM_TS_SALT).sign(str(int(rendered_at)))


class CleanTextMixin:
    """Refuses control characters in every text field; the message body may keep newlines."""

    multiline_fields = ("message",)

    def clean(self) -> dict:
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str) and _has_control_chars(value, name in self.multiline_fields):
                self.add_error(name, forms.ValidationError("Please remove control characters.", code="control"))
        return cleaned


class ContactForm(CleanTextMixin, forms.Form):
    kind = "contact"

    name = forms.CharField(max_length=120, min_length=1, label="Your name", widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(max_length=254, label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(max_length=40, required=False, label="Phone (optional)", widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    company = forms.CharField(max_length=120, required=False, label="Company (optional)", widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    budget = forms.ChoiceField(choices=BUDGETS, required=False, label="Budget (optional)")
    subject = forms.CharField(max_length=200, label="Subject")
    message = forms.CharField(max_length=5000, min_length=10, label="Message", widget=forms.Textarea(attrs={"rows": 5}))
    consent = forms.BooleanField(
        error_messages={"required": "Please accept the privacy policy so we can answer you."},
    )
    # Spam defences: a field humans never see, when the form was rendered, and one key per form.
    website = forms.CharField(required=False, label="Leave this field empty", widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))
    form_ts = forms.CharField(required=False, widget=forms.HiddenInput)
    idem = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["consent"].label = mark_safe(f'I agree to the <a href="{reverse("privacy")}">privacy policy</a>.')
        if not self.is_bound:
            self.initial.setdefault("form_ts", signed_form_timestamp())
            self.initial.setdefault("idem", uuid.uuid4().hex)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Please tell us your name.", code="required")
        return name

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and not _PHONE_RE.match(phone):
            raise forms.ValidationError("Enter a phone number with digits, spaces and + ( ) - only.", code="phone")
        return phone

    def clean_subject(self) -> str:
        return " ".join(self.cleaned_data["subject"].split())

    def clean_message(self) -> str:
        message = self.cleaned_data["message"].strip()
        if len(message) < 10:
            raise forms.ValidationError("Please write at least 10 characters.", code="min_length")
        return message

    def clean_idem(self) -> str:
        idem = self.cleaned_data["idem"].strip().lower()
        if idem and not _IDEM_RE.match(idem):
            raise forms.ValidationError("This form is out of date; please reload the page.", code="idem")
        return idem or uuid.uuid4().hex

    def submission(self) -> dict:
        """The visitor's answers, without the form's own machinery."""
        machinery = {"consent", "website", "form_ts", "idem"}
        return {key: value for key, value in self.cleaned_data.items() if key not in machinery}


class ConsultationForm(ContactForm):
    kind = "consultation"

    topic = forms.ChoiceField(choices=TOPICS, label="Topic")
    # The browser shows a date input in its visitor's locale; the value it reads and sends is always
    # ISO 8601, so the widget writes ISO whatever the active language (en-gb's or de's localised
    # format would leave a date given as initial value blank).
    preferred_date = forms.DateField(label="Preferred date", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    time_window = forms.ChoiceField(choices=TIME_WINDOWS, label="Time window")

    field_order = ["name", "email", "phone", "company", "topic", "preferred_date", "time_window", "budget", "subject", "message", "consent"]

    def clean_preferred_date(self) -> date:
        preferred = self.cleaned_data["preferred_date"]
        today = timezone.localdate()
        if preferred < today + timedelta(days=1):
            raise forms.ValidationError("Please pick a day from tomorrow on.", code="past")
        if preferred > today + timedelta(days=365):
            raise forms.ValidationError("Please pick a day within the next year.", code="too_far")
        return preferred
