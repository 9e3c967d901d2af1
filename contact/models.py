from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django_mongodb_backend.fields import ArrayField


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    QUALIFIED = "qualified", "Qualified"
    PROPOSAL = "proposal", "Proposal"
    WON = "won", "Won"
    LOST = "lost", "Lost"
    SPAM = "spam", "Spam"


class FormKind(models.TextChoices):
    CONTACT = "contact", "Contact"
    CONSULTATION = "consultation", "Consultation"
    EMAIL = "email", "Email"


class Direction(models.TextChoices):
    """Which way a message went: in from the visitor (a form or a mail), or out from staff."""

    IN = "in", "Inbound"
    OUT = "out", "Outbound"


class Lead(models.Model):
    """One person, deduplicated by normalised email; their messages point here."""

    email = models.EmailField(max_length=254, unique=True)
    name = models.CharField(max_length=120)
    company = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    country = models.CharField(max_length=2, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    is_spam = models.BooleanField(default=False)
    created_at = models.DateTimeField(db_index=True)
    last_activity_at = models.DateTimeField(db_index=True)
    first_contacted_at = models.DateTimeField(null=True, blank=True)
    # Denormalised for the CRM inbox, kept up to date by contact.services.lead_record_message().
    last_subject = models.CharField(max_length=200, blank=True)
    kinds = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    search_terms = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    # Set by a genuine inbound mail (contact.inbound), cleared when staff answer.
    awaiting_reply = models.BooleanField(default=False)
    # What the lead wants (analytics.intent: "project:<service>", "partnership", …): suggested by the
    # intent model in the worker (contact.triage), or set by staff at intent_set_at, after which the
    # model leaves it alone.
    intent = models.CharField(max_length=60, blank=True)
    intent_set_at = models.DateTimeField(null=True, blank=True)
    # Idempotency keys of the latest form messages counted on the lead: a form posted again is
    # counted once (contact.leads.lead_intake).
    intake_keys = ArrayField(models.CharField(max_length=64), default=list, blank=True, editable=False)
    # A message the spam model was unsure about arrived (staff were notified); cleared when staff
    # mark the lead spam or not spam.
    needs_review = models.BooleanField(default=False)
    # The maintained counts per status (contact.lead_counts): the status the counts hold this lead
    # under ("" = not yet counted), and whether its status may differ from that. Every write that may
    # change the status sets count_pending in the same update; the counts fold it in later.
    counted_status = models.CharField(max_length=20, blank=True)
    count_pending = models.BooleanField(default=True)
    # Duplicate keys (contact.dupkeys), kept by the lead store, read by contact.duplicates.
    mailbox_keys = ArrayField(models.CharField(max_length=254), default=list, blank=True)  # its address's and its aliases'
    phone_key = models.CharField(max_length=20, blank=True)
    domain_key = models.CharField(max_length=254, blank=True)
    name_key = models.CharField(max_length=120, blank=True)
    # Merges (contact.services.leads_merge): the addresses and ids of the leads merged into this one,
    # and on a lead being merged away, the lead it goes into (until it is deleted).
    aliases = ArrayField(models.EmailField(max_length=254), default=list, blank=True)
    merged_ids = ArrayField(models.CharField(max_length=24), default=list, blank=True)
    merged_into = models.CharField(max_length=24, blank=True)

    class Meta:
        ordering = ["-last_activity_at"]
        # A plain index beside the unique one: neither django-mongodb-backend (#543) nor SecantusDB
        # uses the partial unique index for an equality lookup, so the upsert by email would scan.
        indexes = [
            models.Index(fields=["email"], name="lead_email"),
            models.Index(fields=["awaiting_reply", "-last_activity_at"], name="lead_awaiting_recent"),
            models.Index(fields=["status", "-last_activity_at"]),
            models.Index(fields=["is_spam", "-last_activity_at"], name="lead_spam_recent"),
            models.Index(fields=["search_terms", "is_spam", "-last_activity_at"], name="lead_search_recent"),
            models.Index(fields=["assignee", "-last_activity_at"], name="lead_assignee_recent"),
            models.Index(fields=["intent", "-last_activity_at"], name="lead_intent_recent"),
            models.Index(fields=["intent_set_at"], name="lead_intent_set"),
            models.Index(fields=["needs_review", "-last_activity_at"], name="lead_review_recent"),
            models.Index(fields=["count_pending"], name="lead_count_pending"),
            models.Index(fields=["mailbox_keys"], name="lead_mailbox_keys"),
            models.Index(fields=["phone_key"], name="lead_phone_key"),
            models.Index(fields=["domain_key", "name_key"], name="lead_domain_name"),
            models.Index(fields=["name"], name="lead_name"),  # the inbox by name, in slices of initials
            models.Index(fields=["message_count", "-last_activity_at"], name="lead_count_recent"),  # and by message count
            models.Index(fields=["aliases"], name="lead_aliases"),
            models.Index(fields=["merged_ids"], name="lead_merged_ids"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def save(self, *args, **kwargs) -> None:
        fields = kwargs.get("update_fields")
        if fields is None or "status" in fields:  # a whole-document save (the admin) may change the status
            self.count_pending = True
            if fields is not None:
                kwargs["update_fields"] = {*fields, "count_pending"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("crm:lead", args=[self.pk])


class LeadStatusCount(models.Model):
    """How many leads the counts hold under one status (contact.lead_counts keeps them)."""

    status = models.CharField(max_length=20, primary_key=True, db_column="_id")
    n = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.status}: {self.n}"


class Message(models.Model):
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=20, choices=FormKind.choices, default=FormKind.CONTACT)
    name = models.CharField(max_length=120)
    email = models.EmailField(max_length=254)
    subject = models.CharField(max_length=200)
    message = models.TextField(max_length=5000)
    phone = models.CharField(max_length=40, blank=True)
    company = models.CharField(max_length=120, blank=True)
    budget = models.CharField(max_length=20, blank=True)
    preferred_date = models.DateField(null=True, blank=True)
    time_window = models.CharField(max_length=20, blank=True)
    topic = models.CharField(max_length=40, blank=True)
    received_at = models.DateTimeField(db_index=True)
    # Request metadata
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    referrer = models.CharField(max_length=500, blank=True)
    page = models.CharField(max_length=500, blank=True)
    locale = models.CharField(max_length=40, blank=True)
    country = models.CharField(max_length=2, blank=True)
    utm = models.JSONField(default=dict, blank=True)
    # Spam judgement at intake, and the staff's label for training
    is_spam = models.BooleanField(default=False)
    spam_score = models.FloatField(default=0.0)
    spam_reasons = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    spam_label = models.CharField(max_length=4, blank=True)  # a SpamLabel, set by staff
    spam_review = models.BooleanField(default=False)  # the model was unsure: flagged for review, not held
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    deliveries_enqueued = models.BooleanField(default=False)
    # The message's words, kept to rebuild its lead's search terms (contact.leads); not indexed: the
    # inbox searches leads, and no read asks messages by word, while every insert paid ~50 index entries.
    search_terms = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    # Conversations by mail (issue 14). A form message keeps these at their defaults.
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.IN)
    sender_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sent_messages"
    )
    # The mail's Message-ID without angle brackets (or "sha256:<hex>" of the raw bytes when it has
    # none): one inbound mail stored once. None on form messages; the backend makes a unique index
    # on a nullable field partial (only string values), so the Nones never collide. Neither the
    # backend (django-mongodb-backend #543) nor SecantusDB (even with the $type filter) uses a
    # partial index for a lookup, so the plain index message_mail_id serves the threading lookups.
    mail_message_id = models.CharField(max_length=250, unique=True, null=True, blank=True)
    mail_in_reply_to = models.CharField(max_length=250, blank=True)
    mail_references = models.JSONField(default=list, blank=True)
    body_full = models.TextField(blank=True)  # the whole text; `message` keeps the trimmed text for display
    auto_submitted = models.BooleanField(default=False)  # an auto-reply or a bounce
    attachments = models.JSONField(default=list, blank=True)  # [{"file_id", "filename", "content_type", "size"}]
    raw_file_id = models.CharField(max_length=40, blank=True)  # GridFS id of the raw RFC 822 bytes
    # The intent model's suggestion (contact.triage), and the staff's intent: its training data.
    intent = models.CharField(max_length=60, blank=True)
    intent_score = models.FloatField(null=True, blank=True)
    intent_label = models.CharField(max_length=60, blank=True)
    text_bands = ArrayField(models.CharField(max_length=12), default=list, blank=True)  # contact.dupkeys.text_bands

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["lead", "received_at"], name="message_lead_received"),
            models.Index(fields=["mail_message_id"], name="message_mail_id"),
            models.Index(fields=["idempotency_key"], name="message_idempotency_key"),  # beside the partial unique one
            models.Index(fields=["intent_label"], name="message_intent_label"),
            # deliveries_sweep's candidates; form messages are stored unmarked and marked by the sweep
            models.Index(fields=["deliveries_enqueued", "is_spam", "received_at"], name="message_undelivered"),
            models.Index(fields=["text_bands"], name="message_text_bands"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.email})"


class SpamLabel(models.TextChoices):
    """Staff's verdict on a message, kept as training data for the spam model."""

    NONE = "", "Not labelled"
    SPAM = "spam", "Spam"
    HAM = "ham", "Not spam"


class JobKind(models.TextChoices):
    """The kinds of outbox job; each one's payload shape and handler are in contact.delivery.JOB_TYPES."""

    STAFF_EMAIL = "staff_email", "Staff notification email"
    VISITOR_EMAIL = "visitor_email", "Visitor confirmation email"
    PUSH = "push", "Web push"
    EMAIL = "email", "Ready-made email"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    DEAD = "dead", "Dead letter"


LEASE_NONE = datetime(1970, 1, 1, tzinfo=UTC)  # an outbox job's locked_until when no worker holds it


class OutboxJob(models.Model):
    """One delivery (an email or a push) to be sent by a worker, at least once, exactly once."""

    kind = models.CharField(max_length=30)  # a JobKind
    key = models.CharField(max_length=120, unique=True)  # idempotent enqueue
    payload = models.JSONField(default=dict)
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="outbox")
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    run_after = models.DateTimeField()  # indexed with status: the claim and the dead-letter list (issue 15)
    locked_by = models.CharField(max_length=100, blank=True)
    # Never null: "no lease" is LEASE_NONE (the epoch), so the claim tests one range, not an $or that
    # sends the embedded server's update by _id through every job (issue 15).
    locked_until = models.DateTimeField(null=True, blank=True, default=LEASE_NONE)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "run_after"]),
            models.Index(fields=["key"], name="outbox_key"),  # beside the partial unique one: a repeat enqueue's lookup
        ]

    def __str__(self) -> str:
        return f"{self.kind} [{self.status}]"


class PushSubscription(models.Model):
    """A staff browser that asked for web push notifications."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(max_length=400, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"push for {self.user}"
