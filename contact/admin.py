from django.contrib import admin

from contact.models import Lead, Message, OutboxJob, PushSubscription


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["received_at", "name", "email", "subject", "kind", "country", "is_spam"]
    list_filter = ["kind", "is_spam"]
    search_fields = ["name", "email", "subject"]
    readonly_fields = ["received_at", "ip", "user_agent", "referrer", "page", "locale", "utm", "spam_reasons", "idempotency_key"]
    exclude = ["search_terms"]


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ["last_activity_at", "name", "email", "company", "status", "message_count", "assignee"]
    list_filter = ["status", "is_spam"]
    search_fields = ["name", "email", "company"]
    exclude = ["search_terms"]


@admin.register(OutboxJob)
class OutboxJobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "status", "attempts", "run_after", "last_error"]
    list_filter = ["status", "kind"]


admin.site.register(PushSubscription)
