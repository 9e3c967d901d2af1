"""Reads of the CRM, a module per job: inbox (a page of leads, counts, the export's rows), lead (the
lead page's timeline), charts (the dashboard's aggregations and chart layout), gdpr (a person's
data), reports (the latest analytics report, adapted), staff (accounts, roles, audit log). Lead and
message documents are contact's: read through contact.selectors. The names below are the CRM's
read API, for its views, forms and tests."""
from maniva_crm.selectors.canned import (
    CannedChoice,
    canned_for_lead,
    canned_render,
    canned_replies_all,
    canned_reply_exists,
    canned_reply_get,
    lead_language,
)
from maniva_crm.selectors.charts import Bar, Chart, dashboard_figures_compute, dashboard_figures_stored, dashboard_stats
from maniva_crm.selectors.gdpr import person_data
from maniva_crm.selectors.inbox import (
    PER_PAGE,
    SORTS,
    InboxFilters,
    InboxPage,
    LeadRow,
    inbox_export_rows,
    inbox_match,
    inbox_page,
    inbox_status_counts,
)
from maniva_crm.selectors.lead import (
    TimelineItem,
    lead_attachment_get,
    lead_conversation,
    lead_duplicates,
    lead_get,
    lead_merged_into,
    lead_timeline,
    messages_of,
)
from maniva_crm.selectors.reports import analytics_latest
from maniva_crm.selectors.staff import accounts_with_roles, audit_page, staff_users, staff_users_recent

__all__ = [
    "CannedChoice", "canned_for_lead", "canned_render", "canned_replies_all", "canned_reply_exists", "canned_reply_get",
    "lead_language",
    "PER_PAGE", "SORTS", "Bar", "Chart", "InboxFilters", "InboxPage", "LeadRow", "TimelineItem", "accounts_with_roles",
    "analytics_latest", "audit_page", "dashboard_figures_compute", "dashboard_figures_stored", "dashboard_stats", "inbox_export_rows", "inbox_match", "inbox_page",
    "inbox_status_counts", "lead_attachment_get", "lead_conversation", "lead_duplicates", "lead_get", "lead_merged_into", "lead_timeline", "messages_of", "person_data",
    "staff_users", "staff_users_recent",
]
