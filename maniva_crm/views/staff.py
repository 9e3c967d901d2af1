"""Managers' pages: staff accounts and roles, and the audit log."""
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from maniva_crm import selectors, services
from maniva_crm.forms import RoleForm, StaffCreateForm
from maniva_crm.views.access import staff_required


@staff_required("maniva_crm.manage_staff")
def staff(request: HttpRequest) -> HttpResponse:
    form = RoleForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            services.staff_role_set(user=form.cleaned_data["user"], role=form.cleaned_data["role"], actor=request.user)
            messages.success(request, "Role saved.")
            return redirect("crm:staff")
    return _staff_page(request, form=form, create_form=StaffCreateForm())


@require_POST
@staff_required("maniva_crm.manage_staff")
def staff_create(request: HttpRequest) -> HttpResponse:
    form = StaffCreateForm(request.POST)
    if not form.is_valid():
        return _staff_page(request, form=RoleForm(), create_form=form)
    data = form.cleaned_data
    user = services.staff_create(
        username=data["username"], email=data["email"], first_name=data["first_name"], last_name=data["last_name"],
        role=data["role"], password=data["password1"], actor=request.user,
    )
    messages.success(request, f"Staff account {user.get_username()} created with the role {data['role']}.")
    return redirect("crm:staff")


def _staff_page(request: HttpRequest, *, form: RoleForm, create_form: StaffCreateForm) -> HttpResponse:
    context = {"form": form, "create_form": create_form, "users": selectors.accounts_with_roles()}
    return render(request, "maniva_crm/staff.html", context, status=400 if form.errors or create_form.errors else 200)


@require_GET
@staff_required("maniva_crm.view_auditentry")
def audit_log(request: HttpRequest) -> HttpResponse:
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    entries, has_next = selectors.audit_page(page=page)
    return render(request, "maniva_crm/audit.html", {"entries": entries, "page": page, "has_next": has_next})
