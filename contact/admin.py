from django.contrib import admin

from contact.models import Lead, Message, OutboxJob, PushSubscription


class LargeListAdmin(admin.ModelAdmin):
    """A list that grows with the site: it is counted once, not a second time for "N total"
    (each count is a pass over the collection on the embedded server)."""

    show_full_result_count = False


@admin.register(Message)
class MessageAdmin(LargeListAdmin):
    list_display = ["received_at", "name", "email", "subject", "kind", "country", "is_spam"]
    list_filter = ["kind", "is_spam"]
    search_fields = ["name", "email", "subject"]
    readonly_fields = ["received_at", "ip", "user_agent", "referrer", "page", "locale", "utm", "spam_reasons", "idempotency_key"]
    exclude = ["search_terms"]


@admin.register(Lead)
class LeadAdmin(LargeListAdmin):
    list_display = ["last_activity_at", "name", "email", "company", "status", "message_count", "assignee"]
    list_filter = ["status", "is_spam"]
    search_fields = ["name", "email", "company"]
    exclude = ["search_terms"]


@admin.register(OutboxJob)
class OutboxJobAdmin(LargeListAdmin):
    list_display = ["created_at", "kind", "status", "attempts", "run_after", "last_error"]
    list_filter = ["status", "kind"]


admin.site.register(PushSubscription)
