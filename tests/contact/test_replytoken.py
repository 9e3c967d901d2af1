"""Reply addresses: a round trip per lead, and nothing forged, tampered with or borrowed gets in."""
import pytest
from bson import ObjectId

from contact.replytoken import PREFIX, lead_id_from_reply_address, reply_address, reply_token


@pytest.fixture(autouse=True)
def inbound_domain(settings):
    settings.INBOUND_EMAIL_DOMAIN = "reply.example.org"


def test_round_trip_in_any_letter_case_and_inside_a_header():
    lead_id = ObjectId()
    address = reply_address(lead_id=lead_id)
    local, domain = address.split("@")
    assert domain == "reply.example.org"
    assert local.startswith(PREFIX) and len(local) <= 64  # RFC 5321's limit on a local part
    assert local == local.lower() and local.replace("+", "").isalnum()
    assert lead_id_from_reply_address(address) == str(lead_id)
    assert lead_id_from_reply_address(address.upper()) == str(lead_id)
    assert lead_id_from_reply_address(f'"Maniva Digital" <{address}>') == str(lead_id)
    assert lead_id_from_reply_address(f"someone@else.org, {address}") == str(lead_id)
    assert reply_address(lead_id=str(lead_id)) == address  # stable: the same lead, the same address


def test_another_leads_id_with_this_leads_mac_is_refused():
    mine, theirs = ObjectId(), ObjectId()
    my_token, their_token = reply_token(lead_id=mine), reply_token(lead_id=theirs)
    forged = f"{PREFIX}{their_token[:20]}{my_token[20:]}@reply.example.org"
    assert lead_id_from_reply_address(forged) is None
    assert my_token != their_token


@pytest.mark.parametrize("position", [0, 5, 19, 20, 35, 51])
def test_every_tampered_character_is_refused(position):
    lead_id = ObjectId()
    token = reply_token(lead_id=lead_id)
    changed = "b" if token[position] != "b" else "c"
    tampered = token[:position] + changed + token[position + 1:]
    assert lead_id_from_reply_address(f"{PREFIX}{tampered}@reply.example.org") is None


def test_a_token_made_with_another_secret_is_refused(settings):
    lead_id = ObjectId()
    settings.SECRET_KEY = "another-deployment-" + "x" * 40
    foreign = reply_address(lead_id=lead_id)
    settings.SECRET_KEY = "this-deployment-" + "y" * 40
    assert lead_id_from_reply_address(foreign) is None


@pytest.mark.parametrize(
    "address",
    [
        "", "hello@maniva.digital", "reply+@reply.example.org", "reply+abc@reply.example.org",
        "reply+" + "a" * 52 + "@reply.example.org", "reply+" + "a" * 20 + "0" * 32 + "@reply.example.org",
        "reply+" + "a" * 20 + "0" * 31 + "@reply.example.org", "not an address", "<>", "reply+" + "é" * 52 + "@x",
        "x" * 5000,
    ],
)
def test_malformed_or_guessed_addresses_are_refused(address):
    assert lead_id_from_reply_address(address) is None


def test_an_id_that_is_not_a_lead_id_cannot_be_given_an_address():
    with pytest.raises(ValueError):
        reply_address(lead_id="not-an-object-id")
