from django import template
from django.conf import settings

from maniva_crm.permissions import crm_can as _crm_can

register = template.Library()


@register.simple_tag
def vapid_public_key() -> str:
    return settings.VAPID_PUBLIC_KEY


@register.filter
def crm_can(user, codename: str) -> bool:
    return _crm_can(user, codename)
