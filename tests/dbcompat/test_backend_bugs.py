"""django-mongodb-backend bugs the DB compatibility layer corrects (maniva_webapp/db_backend/regex.py):
regex metacharacters in the value of iexact, startswith, contains, ... match only literally. These
are the backend's bugs, wrong on any MongoDB server; the tests assert answers only, so they keep
passing when upstream fixes them (then the correction can go)."""
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.db.models import F, Value
from django.db.models.functions import Lower

from maniva_webapp.db_backend.regex import brace_escape_corrected

METACHARACTERS = [".*", "a+", "(", "[", "$", "^", "\\", "a|b", "{1}", "?"]
# Each value stored as it is, and names a regex reading of those values would match.
NAMES = [*METACHARACTERS, "Mia.x", "mia", "aa", "A+B", "x(y", "[z]", "cost$", "^caret", "back\\slash", "ab", "a{1}", "b", "", "Q?"]
LITERALLY = {
    "iexact": lambda name, value: name.lower() == value.lower(),
    "startswith": lambda name, value: name.startswith(value),
    "istartswith": lambda name, value: name.lower().startswith(value.lower()),
    "endswith": lambda name, value: name.endswith(value),
    "iendswith": lambda name, value: name.lower().endswith(value.lower()),
    "contains": lambda name, value: value in name,
    "icontains": lambda name, value: value.lower() in name.lower(),
}
PASSWORD = "a-long-test-password-42"


@pytest.fixture
def users(db):
    user_model = get_user_model()
    user_model.objects.bulk_create(
        user_model(username=name, first_name=name, last_name=name.upper()) for name in NAMES
    )
    return user_model


def literal_answer(lookup: str, value: str, names=NAMES) -> set[str]:
    return {name for name in names if LITERALLY[lookup](name, value)}


@pytest.mark.parametrize("lookup", LITERALLY)
def test_a_constant_matches_only_literally(users, lookup):
    for value in METACHARACTERS:
        found = set(users.objects.filter(**{f"username__{lookup}": value}).values_list("username", flat=True))
        assert found == literal_answer(lookup, value), (lookup, value)
        assert value in found


def test_iexact_on_an_expression_matches_only_literally(users):
    """Left side not a plain field: the backend builds `$regexMatch` instead of `$regex`."""
    annotated = users.objects.annotate(lowered=Lower("username"))
    for value in METACHARACTERS:
        found = set(annotated.filter(lowered__iexact=value).values_list("username", flat=True))
        assert found == literal_answer("iexact", value), value


def test_iexact_with_a_value_expression_matches_only_literally(users):
    assert set(users.objects.filter(username__iexact=Value(".*")).values_list("username", flat=True)) == {".*"}
    annotated = users.objects.annotate(lowered=Lower("username"))
    assert set(annotated.filter(lowered__iexact=Value("a+")).values_list("username", flat=True)) == {"a+"}


@pytest.mark.parametrize("lookup", LITERALLY)
def test_a_column_on_the_right_matches_only_literally(db, lookup):
    """`username__<lookup>=F("first_name")`: the pattern comes from each document (escaped by the
    server); `{` among the rest, which the backend escaped as `}`."""
    user_model = get_user_model()
    rows = [("x{", "x{"), ("y}", "y{"), ("anything", ".*"), ("a", "a{1}"), ("aa", "A+"), ("q(", "q("), ("B$", "b$"), ("c|d", "c")]
    user_model.objects.bulk_create(user_model(username=name, first_name=pattern) for name, pattern in rows)
    found = set(user_model.objects.filter(**{f"username__{lookup}": F("first_name")}).values_list("username", flat=True))
    assert found == {name for name, pattern in rows if LITERALLY[lookup](name, pattern)}
    assert "x{" in found


def test_user_creation_form_tells_a_taken_name_from_a_pattern(users):
    """Django's UserCreationForm checks `username__iexact`, and its username validator lets "." and
    "+" through: "mi." was taken by "mia", ".+" by every name (a probe for which names exist)."""
    def form(username: str) -> UserCreationForm:
        return UserCreationForm(data={"username": username, "password1": PASSWORD, "password2": PASSWORD})

    for free in ["mi.", ".+", "M...x", "Mia.x+", "b+"]:
        assert form(free).is_valid(), (free, form(free).errors)
    taken = form("MIA.X")
    assert not taken.is_valid() and taken.errors.as_data()["username"][0].code == "unique"


def test_the_brace_correction_leaves_a_fixed_escape_alone():
    fixed = {"$replaceAll": {"input": {"$replaceAll": {"input": "$name", "find": "{", "replacement": "\\{"}}, "find": ".", "replacement": "\\."}}
    assert brace_escape_corrected(fixed) == fixed
    typo = {"$replaceAll": {"input": "$name", "find": "{", "replacement": "\\}"}}
    assert brace_escape_corrected(typo) == {"$replaceAll": {"input": "$name", "find": "{", "replacement": "\\{"}}
    assert brace_escape_corrected("\\.\\*") == "\\.\\*"
