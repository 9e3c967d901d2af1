"""The inbox as CSV: the lead store's CSV_COLUMNS (header -> field), streamed, formula-safe."""
import csv
from collections.abc import Iterator
from datetime import datetime

from django.http import HttpRequest, StreamingHttpResponse
from django.views.decorators.http import require_GET

from contact.selectors import CSV_COLUMNS
from maniva_crm import selectors, services
from maniva_crm.forms import InboxFilterForm
from maniva_crm.views.access import staff_required

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_cell(value: object) -> str:
    """A spreadsheet would run a cell starting with = + - @ as a formula: prefix it with a quote."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def csv_value(value: object) -> object:
    """A lead field's value as the export writes it: lists space-separated, times in ISO 8601, yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return " ".join(map(str, value))
    return value


def csv_lines(rows: Iterator[selectors.LeadRow]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    fields = list(CSV_COLUMNS.values())
    yield writer.writerow(list(CSV_COLUMNS))
    for row in rows:
        yield writer.writerow([csv_cell(csv_value(getattr(row, name))) for name in fields])


@require_GET
@staff_required("maniva_crm.export_leads")
def inbox_export(request: HttpRequest) -> StreamingHttpResponse:
    filters = InboxFilterForm(request.GET).filters()
    services.leads_export_record(actor=request.user, filters=filters.as_query())
    response = StreamingHttpResponse(csv_lines(selectors.inbox_export_rows(filters=filters)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="leads.csv"'
    return response
