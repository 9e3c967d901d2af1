"""Demo data for the CRM: leads and messages written in bulk through the lead store, every field the
store declares at its default unless set here, as the intake writes them. The texts come from
maniva_crm.demo_text (believable enquiries and spam, in a few languages)."""
import random
from datetime import datetime, timedelta, timezone

from bson import ObjectId
from django.conf import settings

from contact.models import FormKind, LeadStatus
from contact.search import search_terms
from contact.services import lead_document, lead_email_taken, leads_insert_many, message_document, messages_insert_many
from maniva_crm import demo_text

FIRST = (
    "Ana Bruno Carla Diego Elena Farid Greta Hugo Ines Jonas Kira Luca Maya Nils Olga Pedro Quinn Rosa Sami Tara "
    "Umar Vera Wim Xenia Yara Zeno Amélie Björn Chloé Dmitri Émile Fatima Giulia Hana Igor Jade Kofi Lena Mateo Nora"
).split()
LAST = (
    "Souza Müller Rossi García Novak Kowalski Dubois Jensen Silva Costa Yilmaz Nakamura Okafor Larsen Moreau Weber "
    "Fischer Romano Santos Horvat Ivanova Petit Bianchi Lopez Schmidt Nielsen Haddad Kim Tanaka Ferreira"
).split()
COMPANY_WORDS = "Bakery Studio Logistics Dental Garden Consulting Motors Fitness Travel Legal Florist Brewery Optics Labs Media Farm".split()
SYLLABLES = "ba be bo ca co da de di fe fa ga go ha ka ki ko la le li lo ma me mi mo na ne no pa pe ri ro sa se so ta te to va ve vi za".split()
ENDINGS = ["", "n", "s", "r", "lla", "nen", "sen", "ski", "ova", "eau", "ez", "ic", "ani", "berg", "mann"]
DOMAINS = ["example.com", "example.org", "mail.test", "shop.test", "studio.test"]
SPAM_DOMAINS = ["seo-rank.test", "growthmail.test", "outreach.test", "mail.test", "example.net"]
TAGS = ["vip", "retainer", "ecommerce", "seo", "redesign", "urgent", "partner"]
BUDGETS = ["", "lt5k", "5-15k", "5-15k", "15-50k", "gt50k"]  # the consultation form's choices
S = LeadStatus
STATUSES = {  # by intent: where such leads stand after a year
    "new_project": [S.NEW] * 4 + [S.CONTACTED] * 3 + [S.QUALIFIED] * 2 + [S.PROPOSAL, S.WON, S.LOST],
    "existing_client": [S.CONTACTED] * 3 + [S.WON] * 2 + [S.NEW],
    "partnership": [S.NEW] * 3 + [S.CONTACTED] * 2 + [S.LOST],
    "job_application": [S.NEW] * 3 + [S.CONTACTED] * 2 + [S.LOST],
    "other": [S.NEW] * 3 + [S.CONTACTED] * 2 + [S.LOST],
}
CAUGHT = 0.85  # spam the intake flags; the rest reaches the inbox as new leads, as real spam does
CONSULTATION = {"new_project": 0.4, "spam": 0.15}  # share of messages sent through the consultation form (else 0.1)
SPAM_WEIGHT = 2.0  # a spammer writes twice as often as a person


def demo_seed(*, messages: int, per_lead: float = 3.3, seed: int = 1, batch: int = 5000) -> tuple[int, int]:
    """Insert `messages` messages from about messages/per_lead new leads; returns (leads, messages).
    Each lead is a persona (maniva_crm.demo_text): one intent or spam genre, one language, and
    messages written from templates in that language over the past year."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    year = timedelta(days=365)
    services = demo_text.site_services(settings.SITE_CONTENT_PATH)
    lead_count = max(1, round(messages / per_lead))
    run = ObjectId()
    # a second run adds new people instead of colliding on the unique emails of the first
    suffix = "" if not lead_email_taken(pattern=r"\.0@") else f"x{str(run)[-6:]}"
    leads: list[dict] = []
    personas: list[demo_text.Persona] = []
    for i in range(lead_count):
        who = demo_text.persona(rng, services=services)
        first = rng.choice(FIRST)
        # real data has thousands of surnames; a few dozen would make every name search match 1 lead in 30
        last = rng.choice(LAST) if rng.random() < 0.2 else (rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + rng.choice(ENDINGS)).capitalize()
        with_company = who.intent in ("new_project", "existing_client", "partnership") and rng.random() < 0.8
        company = f"{last} {rng.choice(COMPANY_WORDS)}" if with_company else ""
        caught = who.is_spam and rng.random() < CAUGHT
        status = LeadStatus.SPAM if caught else LeadStatus.NEW if who.is_spam else rng.choice(STATUSES[who.intent])
        created = now - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
        domain = rng.choice(SPAM_DOMAINS if who.is_spam else DOMAINS)
        personas.append(who)
        leads.append(
            lead_document(
                _id=ObjectId(),
                email=f"{first}.{last}.{i}{suffix}@{domain}".lower(),
                name=f"{first} {last}",
                company=company,
                status=status.value,
                tags=[] if who.is_spam else rng.sample(TAGS, k=rng.choice([0, 0, 0, 1, 1, 2])),
                country=rng.choice(demo_text.COUNTRIES[who.language]),
                is_spam=caught,
                created_at=created,
                last_activity_at=created,
                first_contacted_at=None if status in (LeadStatus.NEW, LeadStatus.SPAM) else created + timedelta(hours=rng.randint(1, 72)),
            )
        )
    weights = [SPAM_WEIGHT if who.is_spam else 1.0 for who in personas]
    owners = list(range(lead_count)) + rng.choices(range(lead_count), weights=weights, k=max(0, messages - lead_count))
    rng.shuffle(owners)
    lead_terms = [dict.fromkeys(search_terms(lead["name"], lead["email"], lead["company"])) for lead in leads]
    docs: list[dict] = []
    for number, owner in enumerate(owners[:messages]):
        lead, who = leads[owner], personas[owner]
        received = lead["created_at"]
        if lead["message_count"]:  # a later message, some time in the 120 days after the first (not in the future)
            room = min(60 * 24 * 120, int((now - received).total_seconds() // 60))
            received += timedelta(minutes=rng.randint(0, max(0, room)))
        written = demo_text.compose(
            rng, who, first=lead["name"].split()[0], company=lead["company"], trend=1 - (now - received) / year
        )
        consultation = rng.random() < CONSULTATION.get(who.intent, 0.1)
        kind = (FormKind.CONSULTATION if consultation else FormKind.CONTACT).value
        extra = {"topic": written.topic, "budget": rng.choice(BUDGETS) if who.intent == "new_project" else ""} if consultation else {}
        subject, body = written.subject, written.text
        terms = search_terms(lead["name"], lead["email"], lead["company"], subject, body)
        lead["message_count"] += 1
        lead_terms[owner].update(dict.fromkeys(terms))
        if kind not in lead["kinds"]:
            lead["kinds"].append(kind)
        if received >= lead["last_activity_at"]:
            lead["last_activity_at"], lead["last_subject"] = received, subject
        docs.append(
            message_document(
                _id=ObjectId(), lead=lead["_id"], kind=kind, name=lead["name"], email=lead["email"], subject=subject,
                message=body, company=lead["company"], received_at=received, user_agent="seed_demo", page="/",
                locale=who.language, country=lead["country"], is_spam=lead["is_spam"],
                spam_score=0.97 if lead["is_spam"] else 0.6 if who.is_spam else 0.05,
                spam_reasons=["model"] if lead["is_spam"] else [],
                idempotency_key=f"demo:{run}:{number}", deliveries_enqueued=True, search_terms=terms, **extra,
            )
        )
        if len(docs) >= batch:
            messages_insert_many(docs)
            docs = []
    messages_insert_many(docs)
    for lead, terms in zip(leads, lead_terms):
        lead["search_terms"] = list(terms)
    # a lead carries a hundred or so search terms, each an index entry: smaller batches keep one
    # insert's transaction inside the embedded server's cache
    leads_insert_many(leads, batch=batch // 10)
    return lead_count, messages
