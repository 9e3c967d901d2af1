from django.conf import settings
from django.db import models

from contact.models import Lead


class Note(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["lead", "-created_at"], name="note_lead_recent")]

    def __str__(self) -> str:
        return f"note on {self.lead_id} by {self.author_id}"


class AuditAction(models.TextChoices):
    STATUS = "status", "changed the status"
    NOTE = "note", "added a note"
    ASSIGN = "assign", "assigned the lead"
    TAGS = "tags", "changed the tags"
    REPLY = "reply", "replied by email"
    SPAM = "spam", "marked as spam"
    HAM = "ham", "marked as not spam"
    EXPORT_CSV = "export_csv", "exported leads as CSV"
    EXPORT_PERSON = "export_person", "exported a person's data"
    ERASE = "erase", "erased a person"
    STAFF = "staff", "changed a staff account"
    INTENT = "intent", "set the intent"
    ROUTE = "route", "routed the lead by a rule"
    ROUTING_RULE = "routing_rule", "changed a routing rule"
    MERGE = "merge", "merged a duplicate lead into this one"


# Entries written before "changes" kept one change flat in data: {"from": …, "to": …}; the field it
# was is known from the action (spam/ham kept only "from": their "to" follows from the rule).
_LEGACY_CHANGED_FIELD = {"status": "status", "tags": "tags", "assign": "assignee", "spam": "status", "ham": "status"}
_HIDDEN_DETAILS = {"changes", "note_id", "job_id", "to_id", "assignee_id", "rule_id", "merged_id"}  # ids: links, not words


class AuditEntry(models.Model):
    """One change made by a staff member. A lead's entries are its timeline; Managers read them all."""

    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)  # kept when the account is deleted
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["lead", "-created_at"], name="audit_lead_recent")]
        permissions = [
            ("work_leads", "Can see and work leads"),
            ("export_leads", "Can export leads"),
            ("erase_person", "Can erase a person's data"),
            ("manage_staff", "Can manage staff accounts"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.get_action_display()}"

    @property
    def changes(self) -> dict[str, dict]:
        """{field: {"from": old, "to": new}}, from entries of either shape (maniva_crm.audit)."""
        data = self.data or {}
        if "changes" in data:
            return data["changes"]
        field = _LEGACY_CHANGED_FIELD.get(self.action)
        if field is None or not ("from" in data or "to" in data):
            return {}
        old = data.get("from")
        if self.action == AuditAction.SPAM:
            new = "spam"
        elif self.action == AuditAction.HAM:
            new = "new" if old == "spam" else old
        else:
            new = data.get("to")
        return {field: {"from": old, "to": new}}

    @property
    def details(self) -> dict:
        """What the entry says besides its changes, without the ids the pages turn into links."""
        data = self.data or {}
        legacy = {"from", "to"} if "changes" not in data and self.action in _LEGACY_CHANGED_FIELD else set()
        return {key: value for key, value in data.items() if key not in _HIDDEN_DETAILS | legacy}

    @property
    def summary(self) -> str:
        """One line for the audit log: "status: new → contacted; user: lena"."""
        def shown(value) -> str:
            if isinstance(value, list):
                return ", ".join(map(str, value)) or "none"
            return "—" if value in (None, "") else str(value)

        parts = [f"{name}: {shown(c.get('from'))} → {shown(c.get('to'))}" for name, c in self.changes.items()]
        parts += [f"{key}: {value}" for key, value in self.details.items()]
        return "; ".join(parts)


class CannedReply(models.Model):
    """A reply staff insert into the reply form, in one language; variants of one reply share a
    title. {first_name}, {name}, {company} and {staff_name} are filled in (maniva_crm.canned)."""

    title = models.CharField(max_length=120)
    language = models.CharField(max_length=20, default="en", help_text="A language tag: en, pt, pt-br …")
    body = models.TextField(max_length=10_000)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["title", "language"]
        constraints = [models.UniqueConstraint(fields=["title", "language"], name="canned_reply_title_language")]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


class RoutingStrategy(models.TextChoices):
    USER = "user", "Assign to one person"
    ROUND_ROBIN = "round_robin", "Round-robin among Sales"
    LEAST_BUSY = "least_busy", "Least busy of Sales"


class RoutingRule(models.Model):
    """Who gets a new, unassigned lead (maniva_crm.routing): active rules are tried by position, and
    the first whose conditions all hold (a blank condition holds for any lead) assigns it."""

    position = models.PositiveIntegerField()
    name = models.CharField(max_length=120)
    intent = models.CharField(max_length=60, blank=True)  # an analytics.intent value
    kind = models.CharField(max_length=20, blank=True)  # the message's form: a contact.models.FormKind
    country = models.CharField(max_length=2, blank=True)  # ISO code, from the sender's IP
    language = models.CharField(max_length=8, blank=True)  # the primary language of the browser: "pt"
    strategy = models.CharField(max_length=20, choices=RoutingStrategy.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    active = models.BooleanField(default=True)
    turns = models.PositiveIntegerField(default=0)  # round-robin: leads this rule has dealt so far
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class DashboardFigures(models.Model):
    """The dashboard's passes over every lead and message, as last computed: one document, which the
    worker computes again every few minutes (maniva_crm.services.dashboard_refresh_when_due), so
    that no page waits for them (5.3 s at 100,000 messages on the embedded server)."""

    computed_at = models.DateTimeField()
    weeks = models.PositiveSmallIntegerField()
    figures = models.JSONField()

    def __str__(self) -> str:
        return f"dashboard figures of {self.computed_at:%Y-%m-%d %H:%M}"
