"""The project's only authentication backend: Django's ModelBackend behind the login throttle.

It sits inside `django.contrib.auth.authenticate()`, which every login form calls (the CRM's,
the admin's, any added later), so no login path can skip the throttle. Failures are counted by a
`user_login_failed` receiver (maniva_crm.signals): that signal fires only when every backend said
no, so a second backend added later cannot make a good login count as a failure.

Permissions are read without joins (see `ThrottledModelBackend.get_user_permissions`).
"""
import threading
import time

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest

from contact.meta import client_ip
from maniva_crm.login_throttle import login_throttle_check
from maniva_webapp.plain_reads import model_get


def _check(request: HttpRequest | None, username: str | None, kwargs: dict) -> None:
    if username is None:
        username = kwargs.get(get_user_model().USERNAME_FIELD)
    login_throttle_check(username=username, ip=client_ip(request) if request is not None else None, has_request=request is not None)


def _related_ids(user_obj, relation: str) -> list:
    """Ids of the objects `user_obj.<relation>` (a many-to-many) points to, read from its through
    collection alone."""
    field = user_obj._meta.get_field(relation)
    rows = field.remote_field.through.objects.filter(**{field.m2m_field_name(): user_obj.pk})
    return list(rows.values_list(field.m2m_reverse_field_name(), flat=True))


def _permission_labels(permissions: QuerySet) -> set[str]:
    """The "app_label.codename" of each permission, the app label from Django's per-process
    ContentType cache: the same set as ModelBackend's `values_list("content_type__app_label", ...)`,
    without its join."""
    rows = permissions.order_by().values_list("content_type_id", "codename")
    return {f"{ContentType.objects.get_for_id(content_type_id).app_label}.{codename}" for content_type_id, codename in rows}


class ThrottledModelBackend(ModelBackend):
    """Refuses before the password is hashed when the throttle is full: LoginThrottled is not
    PermissionDenied, so `authenticate()` lets it through to the view, and LoginThrottledMiddleware
    answers 429 (the CRM login view catches it to show its own form)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        _check(request, username, kwargs)
        return super().authenticate(request, username=username, password=password, **kwargs)

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        await sync_to_async(_check)(request, username, kwargs)
        return await super().aauthenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id) -> AbstractBaseUser | None:
        """ModelBackend's, read with one plain find: every request loads its user afresh (a
        deactivated account or a changed password, whose hash the session must match, counts at once)."""
        model = get_user_model()
        try:
            pk = model._meta.pk.to_python(user_id)
        except (ValidationError, TypeError, ValueError):
            return None
        user = model_get(model, {model._meta.pk.column: pk})
        return user if user is not None and self.user_can_authenticate(user) else None

    # Permissions: ModelBackend's answers and caches (`_user_perm_cache`, `_group_perm_cache`, and
    # its own `_perm_cache` in get_all_permissions), read with plain queries instead of its joins.
    # Why: on the embedded server a join runs across every permission document (~30-45 ms per
    # fresh user object against ~6 ms here), and each request loads a fresh user. Same queries
    # on a real MongoDB, one to three more round trips.

    def get_user_permissions(self, user_obj, obj=None) -> set[str]:
        return self._cached_permissions(user_obj, obj, "_user_perm_cache", lambda: _related_ids(user_obj, "user_permissions"))

    def get_group_permissions(self, user_obj, obj=None) -> set[str]:
        def permission_ids() -> list:
            groups = _related_ids(user_obj, "groups")
            if not groups:
                return []
            through = Group.permissions.through
            return list(through.objects.filter(group_id__in=groups).values_list("permission_id", flat=True))

        return self._cached_permissions(user_obj, obj, "_group_perm_cache", permission_ids)

    async def aget_user_permissions(self, user_obj, obj=None) -> set[str]:
        return await sync_to_async(self.get_user_permissions)(user_obj, obj)

    async def aget_group_permissions(self, user_obj, obj=None) -> set[str]:
        return await sync_to_async(self.get_group_permissions)(user_obj, obj)

    @staticmethod
    def _cached_permissions(user_obj, obj, cache_name: str, permission_ids) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, cache_name):
            key = (cache_name, user_obj.pk, user_obj.is_superuser)
            labels = _recent.get(key)
            if labels is None:
                if user_obj.is_superuser:
                    permissions = Permission.objects.all()
                else:
                    ids = permission_ids()
                    permissions = Permission.objects.filter(pk__in=ids) if ids else Permission.objects.none()
                labels = frozenset(_permission_labels(permissions))
                _recent.put(key, labels)
            setattr(user_obj, cache_name, set(labels))
        return getattr(user_obj, cache_name)


class RecentCache:
    """A per-process map whose entries live `ttl` seconds, emptied at once by `clear()`: for reads
    that every request of a staff page repeats (a user's permissions, the staff list)."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict = {}
        self._lock = threading.Lock()

    def get(self, key):
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def put(self, key, value) -> None:
        with self._lock:
            if len(self._entries) > 1000:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + self.ttl, value)

    def clear(self, **kwargs) -> None:
        with self._lock:
            self._entries.clear()


# A user's permissions, per process, by (user id, superuser or not): requests of one user within
# PERMISSIONS_TTL seconds share one read. A change of roles or permissions made in this process
# empties it at once (the receivers below); one made in another process shows within the TTL. The
# user document itself (active, staff, superuser) is still read fresh on every request.
PERMISSIONS_TTL = 5.0
_recent = RecentCache(PERMISSIONS_TTL)
for _sender in (get_user_model().groups.through, get_user_model().user_permissions.through, Group.permissions.through):
    m2m_changed.connect(_recent.clear, sender=_sender, dispatch_uid=f"maniva_crm.permissions.{_sender.__name__}")
for _sender in (Group, Permission):
    post_save.connect(_recent.clear, sender=_sender, dispatch_uid=f"maniva_crm.permissions.save.{_sender.__name__}")
    post_delete.connect(_recent.clear, sender=_sender, dispatch_uid=f"maniva_crm.permissions.delete.{_sender.__name__}")
