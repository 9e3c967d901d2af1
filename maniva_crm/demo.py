"""Demo data for the CRM: leads and messages written in bulk through the lead store, every field the
store declares at its default unless set here, as the intake writes them."""
import random
from datetime import datetime, timedelta, timezone

from bson import ObjectId
from contact.models import FormKind, LeadStatus
from contact.search import search_terms
from contact.services import lead_document, lead_email_taken, leads_insert_many, message_document, messages_insert_many

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
COUNTRIES = ["PT", "DE", "FR", "ES", "IT", "GB", "NL", "US", "BR", "PL", "SE", ""]
TAGS = ["vip", "retainer", "ecommerce", "seo", "redesign", "urgent", "partner"]
SUBJECTS = [
    "New website for our {c}", "Quote for an online shop", "SEO audit for {c}", "Redesign of our booking page",
    "Marketing campaign next quarter", "Help with Google Ads", "Data dashboard for {c}", "Mobile app idea",
    "Consultation about analytics", "Logo and brand refresh", "Newsletter setup", "Website is slow",
]
WORDS = (
    "website shop online booking customers orders payments mobile design brand logo colours photos gallery menu "
    "delivery pickup newsletter campaign budget deadline launch summer winter autumn spring quote price estimate "
    "meeting call project team analytics dashboard report traffic visitors conversion ads google facebook instagram "
    "search ranking content blog articles translation english portuguese german french spanish hosting domain email "
    "security backup speed performance accessibility checkout cart stock inventory invoices accounting integration "
    "crm api calendar appointments clinic restaurant hotel bakery florist garage gym studio school charity shop "
    "wholesale retail export import local regional national europe customers reviews ratings support maintenance "
    "training workshop strategy growth leads sales pipeline video podcast social media agency partner contract"
).split()
STATUSES = [LeadStatus.NEW] * 5 + [LeadStatus.CONTACTED] * 3 + [LeadStatus.QUALIFIED, LeadStatus.PROPOSAL, LeadStatus.WON, LeadStatus.LOST, LeadStatus.SPAM]


def _text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).capitalize() + "."


def demo_seed(*, messages: int, per_lead: float = 3.3, seed: int = 1, batch: int = 5000) -> tuple[int, int]:
    """Insert `messages` messages from about messages/per_lead new leads; returns (leads, messages)."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    lead_count = max(1, round(messages / per_lead))
    run = ObjectId()
    # a second run adds new people instead of colliding on the unique emails of the first
    suffix = "" if not lead_email_taken(pattern=r"\.0@") else f"x{str(run)[-6:]}"
    leads: list[dict] = []
    for i in range(lead_count):
        first = rng.choice(FIRST)
        # real data has thousands of surnames; a few dozen would make every name search match 1 lead in 30
        last = rng.choice(LAST) if rng.random() < 0.2 else (rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + rng.choice(ENDINGS)).capitalize()
        company = f"{last} {rng.choice(COMPANY_WORDS)}" if rng.random() < 0.7 else ""
        status = rng.choice(STATUSES)
        created = now - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
        leads.append(
            lead_document(
                _id=ObjectId(),
                email=f"{first}.{last}.{i}{suffix}@{rng.choice(DOMAINS)}".lower(),
                name=f"{first} {last}",
                company=company,
                status=status.value,
                tags=rng.sample(TAGS, k=rng.choice([0, 0, 0, 1, 1, 2])),
                country=rng.choice(COUNTRIES),
                is_spam=status == LeadStatus.SPAM,
                created_at=created,
                last_activity_at=created,
                first_contacted_at=None if status in (LeadStatus.NEW, LeadStatus.SPAM) else created + timedelta(hours=rng.randint(1, 72)),
            )
        )
    owners = list(range(lead_count)) + [rng.randrange(lead_count) for _ in range(max(0, messages - lead_count))]
    rng.shuffle(owners)
    lead_terms = [dict.fromkeys(search_terms(lead["name"], lead["email"], lead["company"])) for lead in leads]
    docs: list[dict] = []
    for number, owner in enumerate(owners[:messages]):
        lead = leads[owner]
        kind = (FormKind.CONSULTATION if rng.random() < 0.25 else FormKind.CONTACT).value
        subject = rng.choice(SUBJECTS).format(c=lead["company"] or "business")
        body = _text(rng, 12, 60)
        received = lead["created_at"]
        if lead["message_count"]:  # a later message, some time in the 120 days after the first (not in the future)
            room = min(60 * 24 * 120, int((now - received).total_seconds() // 60))
            received += timedelta(minutes=rng.randint(0, max(0, room)))
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
                message=body, company=lead["company"], received_at=received, user_agent="seed_demo", page="/", locale="en",
                country=lead["country"], is_spam=lead["is_spam"], spam_score=0.9 if lead["is_spam"] else 0.05,
                idempotency_key=f"demo:{run}:{number}", deliveries_enqueued=True, search_terms=terms,
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
