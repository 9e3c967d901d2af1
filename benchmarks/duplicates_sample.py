"""A labelled sample for the duplicate detector: people who write in more than once, the way they
do, and different people who look alike. Each record says which person wrote it, so two leads are
duplicates exactly when they share a person; the detector never sees that label.

Built from a seed (random.Random): names from common first names and surnames of the countries
the agency hears from, company domains made from the business and town, phones in each country's
own format, and enquiries assembled from sentences a small business writes (greeting, who they
are, what they need, budget or timing, question, sign-off), so different people's messages share
phrases, as real enquiries do.

How the same person comes back (the positives):
- "case": the same address with other capitals (Ana.Souza@… / ana.souza@…)
- "plus": a plus-tag (ana+web@…), or for Gmail the dots moved or googlemail.com
- "phone": another address (private mail), the same phone written another way
- "colleague": another address at the same company, the name written another way (A. Souza, Souza, Ana, no accents)
- "text": another address, the same message sent again with small edits (greeting, sign-off, a typo)
- "unlinkable": another address, another message, no phone: a real duplicate no key can see (a miss by design)

Different people who look alike (the hard negatives):
- family businesses: same surname, other first name, same company domain
- common names on free mail (Maria Silva at gmail and at hotmail are two people)
- colleagues at one company; people of one trade asking for the same thing in the same words
- a colleague who gives the company's switchboard number, as another person at that company did
"""
import random
import unicodedata
from dataclasses import dataclass

FIRST = {
    "PT": "Ana João Maria Pedro Inês Tiago Rita Miguel Beatriz Rui Sofia Nuno Carla Hugo Marta".split(),
    "BR": "Lucas Juliana Rafael Camila Gabriel Fernanda Mateus Larissa Felipe Aline Thiago Bruna".split(),
    "ES": "Javier Lucía Carlos Elena Alejandro Carmen Pablo Laura Diego Marta Sergio Paula".split(),
    "DE": "Jonas Lena Lukas Anna Felix Marie Leon Sophie Paul Laura Maximilian Hannah".split(),
    "FR": "Louis Chloé Hugo Camille Lucas Léa Arthur Manon Jules Inès Théo Sarah".split(),
    "GB": "Oliver Amelia Harry Isla George Emily Jack Sophie Charlie Grace Thomas Lucy".split(),
    "US": "James Olivia Michael Emma William Ava Daniel Mia Matthew Abigail David Ella".split(),
    "PL": "Jakub Zuzanna Kacper Julia Szymon Maja Filip Lena Jan Hanna Antoni Alicja".split(),
}
LAST = {
    "PT": "Silva Santos Ferreira Pereira Oliveira Costa Rodrigues Martins Sousa Fernandes Gonçalves Gomes Lopes Marques".split(),
    "BR": "Souza Lima Carvalho Almeida Ribeiro Araújo Barbosa Rocha Dias Nascimento Moreira Cardoso".split(),
    "ES": "García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz".split(),
    "DE": "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter".split(),
    "FR": "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent".split(),
    "GB": "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans".split(),
    "US": "Johnson Miller Davis Garcia Rodriguez Martinez Anderson Thomas Jackson White Harris Clark".split(),
    "PL": "Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak".split(),
}
TLD = {"PT": "pt", "BR": "com.br", "ES": "es", "DE": "de", "FR": "fr", "GB": "co.uk", "US": "com", "PL": "pl"}
TOWNS = {
    "PT": "Porto Lisboa Braga Coimbra Faro Aveiro".split(), "BR": "Recife Curitiba Campinas Salvador".split(),
    "ES": "Valencia Sevilla Bilbao Málaga".split(), "DE": "Köln Leipzig Bremen Dresden".split(),
    "FR": "Lyon Nantes Lille Bordeaux".split(), "GB": "Leeds Bristol York Brighton".split(),
    "US": "Austin Denver Portland Boston".split(), "PL": "Kraków Gdańsk Poznań Wrocław".split(),
}
BUSINESSES = [
    ("bakery", "padaria"), ("dental clinic", "clinica"), ("law firm", "advogados"), ("florist", "flores"), ("garage", "auto"),
    ("gym", "fit"), ("guesthouse", "hostel"), ("architecture studio", "arq"), ("accounting office", "contas"),
    ("restaurant", "tasca"), ("bike shop", "bikes"), ("language school", "lingua"), ("vet clinic", "vet"),
    ("wine shop", "vinhos"), ("physiotherapy practice", "fisio"), ("printing company", "print"),
]
FREE_MAIL = ["gmail.com", "hotmail.com", "yahoo.com", "outlook.com", "icloud.com", "gmx.de", "sapo.pt", "orange.fr"]
GREETINGS = ["Hello,", "Hi there,", "Good morning,", "Dear Maniva team,", "Hi,", "Good afternoon,"]
INTROS = [
    "We run a small {b} in {t} and have been open for {y} years.",
    "I manage a family {b} in {t}, with {n} people on the team.",
    "My name is {f} and I own {ab} in the centre of {t}.",
    "We are {ab} based in {t} looking for a digital partner.",
    "I am writing on behalf of {ab} in {t} that is growing quickly.",
    "I found you through a friend who runs a shop in {t}; we are {ab} with {n} staff.",
    "We took over {ab} in {t} last year and want to modernise how we work.",
    "I'm the office manager at {ab} in {t}.",
    "We have had {ab} in {t} since {yr} and never had a proper website.",
    "Our {b} in {t} mostly gets customers by word of mouth, and we want to change that.",
]
NEEDS = [
    "Our current website is slow on phones and looks dated, so we want a redesign.",
    "We would like customers to book appointments online instead of calling us.",
    "We need an online shop with delivery and click and collect.",
    "Our Google ranking has dropped and we get far fewer enquiries than last year.",
    "We want a newsletter and some help with Instagram to bring back regular customers.",
    "We need a simple site in {l} and English for tourists.",
    "We want a dashboard that shows bookings and sales by week.",
    "Our booking system does not talk to our calendar and we lose appointments.",
    "We are opening a second location and need the site to show both.",
    "We would like to accept payments and deposits online.",
    "Half of our customers are tourists and cannot find our opening hours.",
    "We want to sell gift vouchers on the website before the holidays.",
    "Our reviews on Google are good but the site does not show them.",
    "We need a page per service so people searching for {svc} find us.",
    "The contact form on our site sends nothing, and we do not know for how long.",
    "We would like a members area where clients download their documents.",
    "We want to run ads but do not know whether they would pay off for {ab}.",
    "Our menu and prices change every week and updating the site takes too long.",
]
DETAILS = [
    "The budget is around {m} euros.", "We would like to launch before {s}.", "We have photos and texts ready.",
    "Our domain and hosting are with a local provider.", "We already use a POS system and would like it connected.",
    "A previous agency built the site in WordPress.", "We have no budget set yet and would like advice.",
    "We can spend about {m} euros this year, maybe more next year.", "Ideally it would be live in {k} weeks.",
    "Our logo was redone last spring, so the branding is ready.", "We sell about {q} orders a month by phone today.",
    "My nephew set up the current site on Wix.", "We are open {d} days a week, so calls are easiest in the morning.",
]
QUESTIONS = [
    "Could you send us a quote and a rough timeline?", "Can we schedule a call next week?",
    "What would this cost, and how long would it take?", "Do you have examples of similar projects?",
    "Could someone call me to talk it through?", "Is this something you could help with?",
    "Please let me know your availability for a short meeting.", "Would you be able to visit us in {t}?",
    "Do you work with businesses our size?",
]
SIGNOFFS = ["Thanks, {f}", "Best regards, {f} {l}", "Kind regards,\n{f}", "Cheers, {f}", "Thank you!"]
LANGUAGES = {"PT": "Portuguese", "BR": "Portuguese", "ES": "Spanish", "DE": "German", "FR": "French", "GB": "Spanish",
             "US": "Spanish", "PL": "Polish"}
SEASONS = ["the summer", "Christmas", "the end of March", "September", "the spring"]
NICKNAMES = {"William": "Bill", "Michael": "Mike", "James": "Jim", "Thomas": "Tom", "Alejandro": "Álex", "Maximilian": "Max",
             "Matthew": "Matt", "Daniel": "Dan", "Gabriel": "Gabi", "Beatriz": "Bia"}


@dataclass(frozen=True)
class Record:
    person: int
    variant: str  # "" for a person's first lead, else how they came back (see the module docstring)
    name: str
    email: str
    message: str
    country: str
    phone: str = ""
    company: str = ""


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _slug(text: str) -> str:
    return "".join(c for c in _ascii(text).lower() if c.isalnum())


def _phone(rng: random.Random, country: str) -> tuple[str, list[str]]:
    """A mobile number in the country's usual international form, and other ways people write it."""
    d = lambda n: "".join(str(rng.randint(0, 9)) for _ in range(n))  # noqa: E731
    if country == "PT":
        n = "9" + rng.choice("1236") + d(7)
        return f"+351 {n[:3]} {n[3:6]} {n[6:]}", [n, f"00351{n}", f"{n[:3]}-{n[3:6]}-{n[6:]}"]
    if country == "BR":
        n = "11" + "9" + d(8)
        return f"+55 {n[:2]} {n[2:7]}-{n[7:]}", [f"({n[:2]}) {n[2:7]}-{n[7:]}", f"+55{n}"]
    if country == "ES":
        n = "6" + d(8)
        return f"+34 {n[:3]} {n[3:6]} {n[6:]}", [n, f"0034 {n}"]
    if country == "DE":
        n = "151" + d(8)
        return f"+49 {n[:3]} {n[3:]}", [f"0{n}", f"0{n[:3]}/{n[3:]}"]
    if country == "FR":
        n = "6" + d(8)
        return f"+33 {n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:]}", [f"0{n}", f"0{n[0]}.{n[1:3]}.{n[3:5]}.{n[5:7]}.{n[7:]}"]
    if country == "GB":
        n = "7" + d(9)
        return f"+44 {n[:4]} {n[4:]}", [f"0{n[:4]} {n[4:]}", f"0{n}"]
    if country == "US":
        n = rng.choice(["512", "303", "503", "617"]) + "55" + d(5)
        return f"+1 ({n[:3]}) {n[3:6]}-{n[6:]}", [f"{n[:3]}-{n[3:6]}-{n[6:]}", f"1{n}"]
    n = "5" + d(8)
    return f"+48 {n[:3]} {n[3:6]} {n[6:]}", [n, f"0048{n}"]


def _message(rng: random.Random, *, first: str, last: str, business: str, town: str, country: str) -> str:
    needs = rng.sample(NEEDS, rng.randint(1, 3))
    ab = ("an " if business[0] in "aeiou" else "a ") + business
    parts = [
        rng.choice(GREETINGS),
        rng.choice(INTROS).format(b=business, ab=ab, t=town, y=rng.randint(2, 30), n=rng.randint(3, 25), f=first, yr=rng.randint(1975, 2022)),
        *(need.format(l=LANGUAGES[country], svc=business.split()[0] + " " + rng.choice(["prices", "near me", "services", "in " + town]), ab=ab)
          for need in needs),
        *(detail.format(m=rng.choice([1500, 2500, 3000, 5000, 8000, 12000]), s=rng.choice(SEASONS), k=rng.randint(3, 16),
                        q=rng.randint(20, 400), d=rng.randint(5, 7)) for detail in rng.sample(DETAILS, rng.randint(1, 2))),
        rng.choice(QUESTIONS).format(t=town),
        rng.choice(SIGNOFFS).format(f=first, l=last),
    ]
    return " ".join(parts[:-1]) + "\n\n" + parts[-1]


def _edited(rng: random.Random, text: str, *, first: str) -> str:
    """The same message sent again: another greeting or sign-off, a typo, a sentence added."""
    body, _, _ = text.rpartition("\n\n")
    greeting = next(g for g in GREETINGS if body.startswith(g))
    body = body.replace(greeting, rng.choice([g for g in GREETINGS if g != greeting]), 1)
    if rng.random() < 0.5:
        words = body.split(" ")
        i = rng.randrange(2, len(words))
        words[i] = words[i][:-1] if len(words[i]) > 3 else words[i]
        body = " ".join(words)
    if rng.random() < 0.4:
        body += rng.choice([" Sorry, I wrote before from another address.", " Resending in case it got lost.", " Please reply to this address."])
    return body + "\n\n" + rng.choice(SIGNOFFS).format(f=first, l="")


def _name_variant(rng: random.Random, first: str, last: str) -> str:
    return rng.choice([f"{first[0]}. {last}", f"{last}, {first}", _ascii(f"{first} {last}"), f"{first.lower()} {last.lower()}",
                       f"{first} {last.upper()}"])


def labelled_sample(*, seed: int, people: int) -> list[Record]:
    rng = random.Random(seed)
    records: list[Record] = []
    used: set[str] = set()
    mailboxes: set[str] = set()  # one mailbox is one person: a new person never gets another's, however written

    def add(record: Record) -> bool:
        local, _, domain = record.email.rpartition("@")
        record = Record(**{**record.__dict__, "email": f"{local}@{domain.lower()}"})  # as the form normalises it
        mailbox = f"{local.lower().split('+')[0]}@{domain.lower()}"
        if mailbox.endswith(("@gmail.com", "@googlemail.com")):
            mailbox = mailbox.split("@")[0].replace(".", "") + "@gmail.com"
        if record.email in used or (not record.variant and mailbox in mailboxes):  # one lead per address, as the store keeps them
            return False
        used.add(record.email)
        mailboxes.add(mailbox)
        records.append(record)
        return True

    companies: list[tuple[str, str, str, str, str]] = []  # (company, domain, country, switchboard, business)
    for person in range(people):
        country = rng.choice(list(FIRST))
        first, last = rng.choice(FIRST[country]), rng.choice(LAST[country])
        town = rng.choice(TOWNS[country])
        business, short = rng.choice(BUSINESSES)
        at_company = rng.random() < 0.6
        reuse = at_company and companies and rng.random() < 0.25  # a second person at a company seen before
        if reuse:
            company, domain, country, switchboard, business = rng.choice(companies)
        elif at_company:
            company = f"{short.capitalize()} {town}"
            domain = f"{_slug(short)}-{_slug(town)}{rng.randint(1, 99)}.{TLD[country]}"
            switchboard = _phone(rng, country)[0]
            companies.append((company, domain, country, switchboard, business))
        if at_company:
            local = rng.choice([f"{_slug(first)}.{_slug(last)}", f"{_slug(first)[0]}{_slug(last)}", _slug(first)])
            email = f"{local}@{domain}"
        else:
            company, domain = "", rng.choice(FREE_MAIL)
            email = f"{rng.choice([f'{_slug(first)}.{_slug(last)}', f'{_slug(first)}{_slug(last)}{rng.randint(1, 99)}'])}@{domain}"
        email = email if rng.random() < 0.7 else email[0].upper() + email[1:]
        phone, phone_forms = _phone(rng, country) if rng.random() < 0.5 else ("", [])
        if reuse and rng.random() < 0.3:
            phone, phone_forms = switchboard, []  # the company's number, which another person there gave too
        text = _message(rng, first=first, last=last, business=business, town=rng.choice(TOWNS[country]), country=country)
        base = Record(person, "", f"{first} {last}", email, text, country, phone, company)
        if not add(base):  # another person's mailbox already: this person never wrote
            continue

        # family businesses: another person with the same surname at the same company
        if at_company and rng.random() < 0.1:
            other = rng.choice([f for f in FIRST[country] if f[0] != first[0]] or FIRST[country])
            add(Record(people + person, "", f"{other} {last}", f"{_slug(other)}@{domain}", _message(
                rng, first=other, last=last, business=business, town=rng.choice(TOWNS[country]), country=country), country, "", company))
        # a namesake on free mail: same name, another person
        if rng.random() < 0.08:
            add(Record(2 * people + person, "", f"{first} {last}", f"{_slug(first)}{_slug(last)}{rng.randint(100, 999)}@{rng.choice(FREE_MAIL)}",
                       _message(rng, first=first, last=last, business=rng.choice(BUSINESSES)[0], town=rng.choice(TOWNS[country]),
                                country=country), country))

        for _ in range(rng.choices([0, 1, 2], weights=[55, 35, 10])[0]):
            variant = rng.choices(["case", "plus", "phone", "colleague", "text", "unlinkable"], weights=[10, 15, 20, 20, 25, 10])[0]
            local, _, dom = base.email.rpartition("@")
            private = f"{_slug(first)}{rng.choice(['', '.', '_'])}{_slug(last)}{rng.randint(1, 9999)}@{rng.choice(FREE_MAIL)}"
            other_text = _message(rng, first=first, last=last, business=business, town=rng.choice(TOWNS[country]), country=country)
            name = f"{first} {last}"
            if variant == "case":
                email = local.swapcase() + "@" + dom.upper() if rng.random() < 0.5 else local.capitalize() + "@" + dom
                record = Record(person, variant, name, email, other_text, country)
            elif variant == "plus":
                if dom == "gmail.com":
                    plain = local.replace(".", "")
                    email = rng.choice([f"{plain}@googlemail.com", f"{'.'.join(plain[i:i + 3] for i in range(0, len(plain), 3))}@gmail.com",
                                        f"{local}+{rng.choice(['web', 'quotes', 'work'])}@gmail.com"])
                else:
                    email = f"{local}+{rng.choice(['web', 'quotes', 'info', 'agency'])}@{dom}"
                record = Record(person, variant, name, email, other_text, country)
            elif variant == "phone":
                if not phone:
                    phone, phone_forms = _phone(rng, country)
                    base = Record(person, "", base.name, base.email, base.message, country, phone, company)
                    records[records.index(next(r for r in records if r.email == base.email))] = base
                written = rng.choice(phone_forms) if phone_forms else phone
                record = Record(person, variant, name, private, other_text, country, written)
            elif variant == "colleague":
                if not company:
                    continue
                alias = rng.choice(["info", "geral", "office", "contact", "admin", f"{_slug(first)}{_slug(last)[0]}"])
                record = Record(person, variant, _name_variant(rng, first, last), f"{alias}@{domain}", other_text, country, "", company)
            elif variant == "text":
                record = Record(person, variant, rng.choice([name, first, _name_variant(rng, first, last)]), private,
                                _edited(rng, base.message, first=first), country)
            else:
                record = Record(person, variant, rng.choice([name, first]), private, other_text, country)
            add(record)
    return records


def true_pairs(records: list[Record]) -> set[frozenset[str]]:
    by_person: dict[int, list[str]] = {}
    for record in records:
        by_person.setdefault(record.person, []).append(record.email)
    return {frozenset((a, b)) for emails in by_person.values() for i, a in enumerate(emails) for b in emails[i + 1 :]}


def direct_pairs(records: list[Record]) -> dict[frozenset[str], str]:
    """Each returning lead with its person's first lead, by the way it came back: what a lead page can
    show directly (two returns of one person may share no key with each other, only with the first)."""
    first = {r.person: r.email for r in records if not r.variant}
    return {frozenset((first[r.person], r.email)): r.variant for r in records if r.variant and r.person in first}
