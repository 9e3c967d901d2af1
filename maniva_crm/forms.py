import json
import re

from bson import ObjectId
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.exceptions import ValidationError

from analytics.intent import intent_choices
from contact.models import FormKind, LeadStatus, SpamLabel
from contact.push_endpoint import EndpointRefused, push_endpoint_check
from maniva_crm.selectors import SORTS, InboxFilters, canned_reply_exists, staff_users
from maniva_crm.models import RoutingStrategy
from maniva_crm.selectors.canned import language_tag
from maniva_crm.services import ROLE_PERMISSIONS, BulkAction


class StaffAuthenticationForm(AuthenticationForm):
    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login", params={"username": self.username_field.verbose_name})


def _staff_choices() -> list[tuple[str, str]]:
    return [(str(u.pk), u.get_username()) for u in staff_users()]


class InboxFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *LeadStatus.choices])
    assignee = forms.ChoiceField(required=False)
    tag = forms.CharField(required=False, max_length=40)
    country = forms.CharField(required=False, max_length=2)
    kind = forms.ChoiceField(required=False, choices=[("", "Any form"), *FormKind.choices], label="Form")
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    spam = forms.ChoiceField(
        required=False, choices=[("hide", "Hide spam"), ("only", "Only spam"), ("any", "With spam"), ("review", "Needs review")]
    )
    sort = forms.ChoiceField(required=False, choices=[(key, key.title()) for key in SORTS])
    awaiting = forms.BooleanField(required=False, label="Awaiting our reply")
    intent = forms.ChoiceField(required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000, widget=forms.HiddenInput)

    def __init__(self, *args, staff: list | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(u.pk), u.get_username()) for u in staff] if staff is not None else _staff_choices()
        self.fields["assignee"].choices = [("", "Anyone"), ("none", "Unassigned"), *choices]
        self.fields["intent"].choices = [("", "Any intent"), *intent_choices()]

    def filters(self) -> InboxFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return InboxFilters(
            q=data.get("q", ""),
            status=data.get("status", ""),
            assignee=data.get("assignee", ""),
            tag=(data.get("tag") or "").strip().lower(),
            country=(data.get("country") or "").strip().upper(),
            kind=data.get("kind", ""),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            spam=data.get("spam") or "hide",
            sort=data.get("sort") or "recent",
            awaiting="1" if data.get("awaiting") else "",
            intent=data.get("intent", ""),
        )

    def page(self) -> int:
        return (self.cleaned_data.get("page") if self.is_valid() else None) or 1


class _LeadPanelForm(forms.Form):
    """The lead page holds several forms: each gets its own id prefix (names stay plain)."""

    id_prefix = "lead"

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=LeadStatus.choices)


class NoteForm(_LeadPanelForm):
    id_prefix = "note"
    body = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 3}), label="Note")


class TagsForm(_LeadPanelForm):
    id_prefix = "tags"
    tags = forms.CharField(required=False, max_length=400, help_text="Comma-separated")

    def clean_tags(self) -> list[str]:
        return [t for t in (part.strip() for part in self.cleaned_data["tags"].split(",")) if t]


class AssignForm(_LeadPanelForm):
    id_prefix = "assign"
    assignee = forms.ModelChoiceField(queryset=None, required=False, empty_label="Nobody")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_users()


class ReplyForm(_LeadPanelForm):
    id_prefix = "reply"
    subject = forms.CharField(max_length=200)
    body = forms.CharField(max_length=10_000, widget=forms.Textarea(attrs={"rows": 6}), label="Message")

    def clean_subject(self) -> str:
        subject = " ".join(self.cleaned_data["subject"].split())
        if not subject:
            raise ValidationError("Write a subject.", code="required")
        return subject


class CannedReplyForm(forms.Form):
    title = forms.CharField(max_length=120)
    language = forms.CharField(max_length=20, initial="en", help_text="A language tag such as en, pt or pt-BR; English is the fallback.")
    body = forms.CharField(
        max_length=10_000, widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Placeholders: {first_name}, {name}, {company}, {staff_name}.",
    )

    def __init__(self, *args, reply=None, **kwargs) -> None:
        self.reply = reply
        if reply is not None:
            kwargs.setdefault("initial", {"title": reply.title, "language": reply.language, "body": reply.body})
        super().__init__(*args, **kwargs)

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise ValidationError("Give it a title.", code="required")
        return title

    def clean_language(self) -> str:
        language = language_tag(self.cleaned_data["language"])
        if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})*", language):
            raise ValidationError("Use a language tag such as en, pt or pt-BR.", code="invalid")
        return language

    def clean(self) -> dict:
        data = super().clean()
        if data.get("title") and data.get("language") and canned_reply_exists(
            title=data["title"], language=data["language"], exclude_pk=self.reply.pk if self.reply else None
        ):
            raise ValidationError("A canned reply with this title and language exists already.", code="duplicate")
        return data


class IntentForm(forms.Form):
    """Staff's intent for a lead; `back` is the inbox query to return to after a plain POST."""

    intent = forms.ChoiceField()
    back = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["intent"].choices = intent_choices()


class RoutingRuleForm(forms.Form):
    name = forms.CharField(max_length=120)
    intent = forms.ChoiceField(required=False, label="Intent is")
    kind = forms.ChoiceField(required=False, choices=[("", "Any form"), *FormKind.choices], label="Form is")
    country = forms.CharField(required=False, max_length=2, label="Country is", help_text="Two letters, e.g. PT")
    language = forms.CharField(required=False, max_length=8, label="Language is", help_text="The browser's language, e.g. pt")
    strategy = forms.ChoiceField(choices=RoutingStrategy.choices, label="Then")
    user = forms.ModelChoiceField(queryset=None, required=False, label="Person", help_text="For “Assign to one person”")
    active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["intent"].choices = [("", "Any intent"), *intent_choices()]
        self.fields["user"].queryset = staff_users()

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError("Give the rule a name.", code="required")
        return name

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if country and not re.fullmatch(r"[A-Z]{2}", country):
            raise ValidationError("Use a two-letter country code such as PT.", code="invalid")
        return country

    def clean_language(self) -> str:
        language = self.cleaned_data["language"].strip().lower()
        if language and not re.fullmatch(r"[a-z]{2,3}", language):
            raise ValidationError("Use a language code such as pt or en.", code="invalid")
        return language

    def clean(self) -> dict:
        data = super().clean()
        if data.get("strategy") == RoutingStrategy.USER and not data.get("user"):
            self.add_error("user", ValidationError("Choose the person this rule assigns to.", code="user_required"))
        if data.get("strategy") != RoutingStrategy.USER:
            data["user"] = None
        return data


class SpamForm(forms.Form):
    verdict = forms.ChoiceField(choices=[(SpamLabel.SPAM, "Spam"), (SpamLabel.HAM, "Not spam")])


class MergeForm(forms.Form):
    """The lead to merge into the one whose page this is."""

    other = forms.CharField(max_length=24)

    def clean_other(self) -> str:
        value = self.cleaned_data["other"]
        if not ObjectId.is_valid(value):
            raise ValidationError("Unknown lead.", code="invalid")
        return value


class BulkForm(forms.Form):
    """Selected lead ids (a list of checkboxes) and one operation: "status:won", "assign:<id>", "assign:",
    "tag:" (with the tag field), "spam:" or "ham:"."""

    op = forms.CharField(max_length=60)
    tag = forms.CharField(required=False, max_length=40)

    def __init__(self, data=None, *args, **kwargs) -> None:
        self.lead_ids = [i for i in data.getlist("ids") if ObjectId.is_valid(i)][:500] if data is not None else []
        super().__init__(data, *args, **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        action, _, value = data.get("op", "").partition(":")
        if action not in BulkAction.values:
            raise ValidationError("Choose an action.", code="invalid_action")
        if action == BulkAction.STATUS and value not in LeadStatus.values:
            raise ValidationError("Choose a status.", code="invalid_status")
        if action == BulkAction.TAG:
            value = data.get("tag", "").strip()
            if not value:
                raise ValidationError("Write a tag.", code="tag_required")
        if action == BulkAction.ASSIGN and value and value not in {pk for pk, _ in _staff_choices()}:
            raise ValidationError("Choose a staff member.", code="invalid_assignee")
        data["action"], data["value"] = action, value
        return data

    def assignee(self):
        value = self.cleaned_data.get("value")
        return get_user_model().objects.filter(pk=value).first() if value and self.cleaned_data.get("action") == BulkAction.ASSIGN else None


class RoleForm(forms.Form):
    user = forms.ModelChoiceField(queryset=None)
    role = forms.ChoiceField(required=False, choices=[("", "No CRM role"), *[(r, r) for r in ROLE_PERMISSIONS]])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = get_user_model().objects.filter(is_active=True)


class StaffCreateForm(UserCreationForm):
    """A new staff account: UserCreationForm's checks (username free, also case-insensitively; the
    two passwords equal; Django's password validators, which also compare the password with the
    username, email and name) plus an email and one CRM role. Validation only: services.staff_create writes."""

    role = forms.ChoiceField(choices=[(r, r) for r in ROLE_PERMISSIONS], label="CRM role")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email", "first_name", "last_name")

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", "new")  # beside the role form on the staff page: no shared ids
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["username"].widget.attrs.pop("autofocus", None)
        self.fields["password1"].label = "Initial password"


class PushSubscriptionForm(forms.Form):
    endpoint = forms.URLField(max_length=1000, assume_scheme="https")
    p256dh = forms.CharField(max_length=200, required=False)
    auth = forms.CharField(max_length=100, required=False)
    action = forms.ChoiceField(choices=[("subscribe", "subscribe"), ("unsubscribe", "unsubscribe")])

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "subscribe" and not (data.get("p256dh") and data.get("auth")):
            raise ValidationError("A subscription needs its keys.", code="keys_required")
        if data.get("action") == "subscribe" and data.get("endpoint"):
            try:  # the worker checks again at send time: the name may point elsewhere by then
                push_endpoint_check(data["endpoint"])
            except EndpointRefused as exc:
                self.add_error("endpoint", ValidationError(str(exc), code=exc.code))
            except OSError:
                self.add_error("endpoint", ValidationError("The endpoint's host could not be resolved.", code="unresolvable"))
        return data


def push_subscription_data(body: bytes) -> dict | None:
    """PushSubscriptionForm's data from a PushSubscription JSON body
    (`{"endpoint": …, "keys": {"p256dh": …, "auth": …}, "action": …}`), or None for any other shape."""
    try:
        payload = json.loads(body or b"{}")
    except (ValueError, RecursionError):  # ValueError covers bad JSON and bytes that are no UTF-8/16/32
        return None
    if not isinstance(payload, dict):
        return None
    keys = payload.get("keys") or {}
    if not isinstance(keys, dict):
        return None
    data = {
        "endpoint": payload.get("endpoint", ""), "p256dh": keys.get("p256dh", ""), "auth": keys.get("auth", ""),
        "action": payload.get("action", "subscribe"),
    }
    return data if all(isinstance(value, str) for value in data.values()) else None
