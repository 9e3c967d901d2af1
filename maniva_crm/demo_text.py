"""Believable demo enquiries, composed from templates and slot fillers. No Django, so the analytics
benchmark can write the same texts straight into MongoDB.

A person (`persona`) has one intent (a new project for one of the agency's services, a partnership or
vendor pitch, a job application, an existing client, something else) or one spam genre (SEO or
web-design pitches, link and guest-post sales, crypto, phishing) and one language; each message
(`compose`) is an opening, a few details and a closing in that language, every `{slot}` filled
from a list, so 100,000 messages are not all alike. The same `random.Random` state gives the same
messages. Demo data is generated: no quality figure may be computed on it (it would score the
templates, not a model)."""
import random
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

INTENTS = ("new_project", "partnership", "job_application", "existing_client", "other")
SPAM_GENRES = ("seo_pitch", "web_design_pitch", "link_sales", "crypto", "phishing")
LANGUAGES = ("en", "pt", "de", "fr", "es")
SERVICES = ("web", "marketing", "data")  # the site's service icons (content/site.toml services.items.icon)

INTENT_WEIGHTS = {"new_project": 45, "partnership": 12, "job_application": 12, "existing_client": 18, "other": 13}
SPAM_SHARE = 0.22  # of the people writing; spammers also write more often (see maniva_crm.demo)
LANGUAGE_WEIGHTS = {"en": 66, "pt": 12, "de": 9, "fr": 7, "es": 6}
SPAM_LANGUAGE_WEIGHTS = {"en": 85, "pt": 4, "de": 4, "fr": 3, "es": 4}
COUNTRIES = {
    "en": ["GB", "GB", "US", "IE", "NL", "SE", "IT", "PL", "DK", ""],
    "pt": ["PT", "PT", "PT", "BR"],
    "de": ["DE", "DE", "AT", "CH"],
    "fr": ["FR", "FR", "BE", "CH"],
    "es": ["ES", "ES", "MX", "AR"],
}
# A theme that grows in the last weeks of the demo's year, so "what changed this month" has something to find.
EMERGING = {"web": "accessibility_act", "data": "ai_assistant"}


@dataclass(frozen=True)
class Persona:
    intent: str  # one of INTENTS, or "spam"
    genre: str  # one of SPAM_GENRES for spam, else ""
    language: str
    service: str  # one of SERVICES for a new project, else ""

    @property
    def is_spam(self) -> bool:
        return self.intent == "spam"


@dataclass(frozen=True)
class DemoMessage:
    persona: Persona
    subject: str
    text: str
    topic: str  # the consultation form's topic (web, marketing, data, other)


def site_services(content_path: Path | None) -> tuple[str, ...]:
    """The service icons the site offers (content/site.toml), in its order; all three if it cannot say."""
    try:
        items = tomllib.loads(Path(content_path).read_text(encoding="utf-8"))["services"]["items"]
        icons = tuple(dict.fromkeys(item["icon"] for item in items if item.get("icon") in SERVICES))
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError):
        icons = ()
    return icons or SERVICES


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def persona(rng: random.Random, *, services: tuple[str, ...] = SERVICES) -> Persona:
    if rng.random() < SPAM_SHARE:
        return Persona("spam", rng.choice(SPAM_GENRES), _weighted(rng, SPAM_LANGUAGE_WEIGHTS), "")
    intent = _weighted(rng, INTENT_WEIGHTS)
    return Persona(intent, "", _weighted(rng, LANGUAGE_WEIGHTS), rng.choice(services) if intent == "new_project" else "")


# ---- slot fillers (shared by every language: names, numbers, places) ----
FILL: dict[str, list[str]] = {
    "city": "Lisbon Porto Braga Coimbra Faro London Manchester Bristol Berlin Munich Hamburg Paris Lyon Madrid Valencia Amsterdam Dublin".split(),
    "year": ["2014", "2016", "2017", "2018", "2019"],
    "products": ["40", "120", "300", "800", "2,000"],
    "pages": ["8", "12", "15", "25", "40"],
    "budget": ["€3,000", "€5,000", "€8,000", "€12,000", "€20,000", "€35,000"],
    "spend": ["€1,500", "€3,000", "€6,000", "€10,000"],
    "subscribers": ["1,200", "4,000", "9,500", "18,000"],
    "errors": ["300", "1,100", "2,400"],
    "weeks": ["four", "six", "eight", "ten"],
    "platform": ["WordPress", "Wix", "Squarespace", "Shopify", "an old Joomla site", "a site our nephew built"],
    "source": ["Shopify", "Excel", "our ERP", "HubSpot", "Google Sheets", "a Postgres database"],
    "invoice": ["2026-0412", "2026-0577", "2026-0631", "2026-0718", "2026-0802"],
    "vendor": ["Formly", "Pixelcraft", "HostNorth", "Cloudberry CMS", "Tallyworks", "Bookwise"],
    "rate": ["€25", "€30", "€35", "€40"],
    "years": ["2", "3", "5", "7", "10"],
    "n": ["7", "10", "14", "30"],
    "da": ["50", "60", "70", "80"],
    "price": ["$49", "$79", "$99", "$149", "$199", "$299"],
    "pct": ["2", "3.5", "5", "8"],
    "phone": ["+44 7700 900123", "+1 202 555 0147", "+351 912 345 678"],
    "domain": ["maniva.digital", "your domain"],
}
EN: dict[str, list[str]] = {
    "business": ["a family bakery", "a dental clinic", "a small hotel", "a bike shop", "a law firm", "a florist",
                 "a yoga studio", "a craft brewery", "a language school", "a physiotherapy practice", "a wine shop",
                 "an outdoor gear shop", "a boutique travel agency", "a garden centre", "a veterinary clinic"],
    "product_kind": ["bikes", "wine", "bread and pastries", "garden furniture", "skincare products", "spare parts"],
    "season": ["summer", "winter", "Christmas", "spring"],
    "deadline": ["the end of March", "the summer", "September", "our anniversary in May", "Christmas", "the trade fair in October"],
    "keyword": ["dentist {city}", "wedding flowers {city}", "bike repair {city}", "boutique hotel {city}"],
    "kpis": ["sales per shop, margin and stock", "bookings, cancellations and no-shows", "leads per channel and cost per lead"],
    "role": ["front-end developer", "UX designer", "performance marketer", "data analyst", "content writer", "Django developer"],
    "field": ["computer science", "design", "marketing", "statistics"],
    "month": ["January", "February", "March", "June", "September"],
    "greeting": ["Hello,", "Hi,", "Hi there,", "Good morning,", "Dear Maniva team,", "Hello Maniva team,"],
    "thanks": ["Thanks,", "Thank you,", "Best regards,", "Kind regards,", "Many thanks,", "Cheers,"],
}

# ---- templates: intent (or spam genre, or service) -> language -> parts ----
# "subject", "open" (one), "detail" (a few), "close" (one). A part may carry {slots}.
T: dict[str, dict[str, dict[str, list[str]]]] = {
    "web": {
        "en": {
            "subject": ["New website for {company}", "Quote for an online shop", "Redesign of our booking page", "Website for {business}",
                        "Our website needs a refresh", "Online ordering for our shop"],
            "open": [
                "We run {business} in {city} and our website hasn't been touched since {year}.",
                "I'm looking for an agency to design and build a new website for {company}.",
                "Quote for an online shop || We'd like a quote for an online shop with about {products} products, delivery and click-and-collect.",
                "Redesign of our booking page || Our booking page loses people on mobile and we would like it redesigned.",
                "We are opening a second location in {city} and want a proper website before it opens.",
            ],
            "detail": [
                "Most of our customers find us on their phones, so it has to be fast on mobile.",
                "We currently use {platform} and are happy to move off it.",
                "The staff should be able to change prices, photos and opening hours themselves.",
                "We'd need the site in English and Portuguese.",
                "Roughly {pages} pages, plus a blog we would actually like to keep up.",
                "Card payments and MB Way would be ideal.",
                "We have a logo and photos, but no copy yet.",
                "The current site takes about eight seconds to load and Google has started to complain.",
                "It should work with our booking system, which has an API.",
            ],
            "close": ["Our budget is around {budget}, and we would like to launch before {deadline}.",
                      "We haven't set a budget yet and would like to hear what is realistic.",
                      "Could we have a call next week to talk it through?",
                      "Could you send a rough estimate and a timeline?"],
        },
        "pt": {
            "subject": ["Novo site para {company}", "Orçamento para loja online", "Redesenho do nosso site"],
            "open": ["Temos {business_pt} em {city} e o nosso site já não é atualizado desde {year}.",
                     "Gostaríamos de receber um orçamento para uma loja online com cerca de {products} produtos.",
                     "Procuramos uma agência para fazer o novo site da {company}."],
            "detail": ["A maioria dos clientes visita-nos pelo telemóvel, por isso tem de ser rápido.",
                       "Queremos poder atualizar os preços e as fotografias sem depender de ninguém.",
                       "Precisamos de pagamentos por MB Way e cartão.",
                       "Neste momento usamos {platform}."],
            "close": ["O orçamento ronda os {budget}. Podemos marcar uma chamada?",
                      "Gostaríamos de ter o site pronto antes do verão. Obrigado!"],
        },
        "de": {
            "subject": ["Neue Website für {company}", "Angebot für einen Onlineshop"],
            "open": ["Wir betreiben {business_de} in {city} und unsere Website ist seit {year} nicht mehr aktualisiert worden.",
                     "Wir suchen eine Agentur für den Relaunch unserer Website."],
            "detail": ["Die meisten Kunden kommen über das Smartphone, die Seite muss also schnell laden.",
                       "Wir möchten Preise und Öffnungszeiten selbst pflegen können.",
                       "Momentan nutzen wir {platform}."],
            "close": ["Unser Budget liegt bei etwa {budget}. Können Sie uns ein Angebot schicken?",
                      "Wann hätten Sie Zeit für ein kurzes Gespräch?"],
        },
        "fr": {
            "subject": ["Nouveau site pour {company}", "Devis pour une boutique en ligne"],
            "open": ["Nous gérons {business_fr} à {city} et notre site n'a pas été mis à jour depuis {year}.",
                     "Nous cherchons une agence pour refaire notre site internet."],
            "detail": ["La plupart de nos clients nous trouvent sur mobile.", "Nous voulons pouvoir modifier les prix nous-mêmes.",
                       "Nous utilisons actuellement {platform}."],
            "close": ["Notre budget est d'environ {budget}. Pourriez-vous nous envoyer un devis ?", "Merci de nous recontacter."],
        },
        "es": {
            "subject": ["Nueva web para {company}", "Presupuesto para tienda online"],
            "open": ["Tenemos {business_es} en {city} y nuestra web no se actualiza desde {year}.",
                     "Buscamos una agencia para rediseñar nuestra página web."],
            "detail": ["Casi todos nuestros clientes entran desde el móvil.", "Queremos poder cambiar precios y fotos nosotros mismos.",
                       "Ahora mismo usamos {platform}."],
            "close": ["Nuestro presupuesto es de unos {budget}. ¿Podemos hablar por teléfono?", "¿Nos podéis enviar un presupuesto?"],
        },
    },
    "accessibility_act": {
        "en": {
            "subject": ["Accessibility audit before the European Accessibility Act", "Is our shop compliant with the accessibility act?"],
            "open": ["Our online shop has to meet the European Accessibility Act and we are not sure where we stand.",
                     "A customer told us our checkout cannot be used with a screen reader, and the accessibility act now applies to us."],
            "detail": ["Could you audit the site against WCAG 2.2 AA and fix what you find?",
                       "We need an accessibility statement too.", "Keyboard navigation in the checkout is the main worry."],
            "close": ["How long would an accessibility audit take, and what does it cost?"],
        },
    },
    "marketing": {
        "en": {
            "subject": ["Help with Google Ads", "SEO for {company}", "Marketing campaign next quarter", "LinkedIn campaigns",
                        "We dropped in Google", "Newsletter and email marketing"],
            "open": [
                "Help with Google Ads || We spend about {spend} a month on Google Ads and honestly can't tell whether it pays off.",
                "After our last redesign we dropped off the first page for \"{keyword}\".",
                "We're looking for help with SEO and content for {company}.",
                "LinkedIn campaigns || Could you run LinkedIn and Meta campaigns for our B2B software?",
                "Newsletter and email marketing || We have a newsletter list of {subscribers} subscribers that we never use.",
            ],
            "detail": [
                "We would like monthly reporting tied to sales, not clicks.",
                "Someone in-house writes blog posts, but there is no strategy behind them.",
                "Search Console shows {errors} pages with crawl errors.",
                "Our main competitor outranks us for everything in {city}.",
                "We sell mostly in Portugal and Spain and want to start in Germany.",
                "Landing pages would be part of the job; ours convert at under one percent.",
            ],
            "close": ["What would a first three months with you look like?", "Our marketing budget is around {spend} a month.",
                      "Could you send us a proposal?", "Would you be free for a call on Thursday or Friday?"],
        },
        "pt": {
            "subject": ["Ajuda com Google Ads", "SEO para a {company}"],
            "open": ["Gastamos cerca de {spend} por mês em Google Ads e não sabemos se compensa.",
                     "Depois de mudarmos de site, caímos da primeira página do Google."],
            "detail": ["Queremos relatórios mensais ligados às vendas.", "Temos uma newsletter com {subscribers} contactos parada."],
            "close": ["Podem enviar-nos uma proposta?", "Quando podemos falar?"],
        },
        "de": {
            "subject": ["Unterstützung bei SEO", "Google Ads Betreuung"],
            "open": ["Wir geben rund {spend} im Monat für Google Ads aus und wissen nicht, ob es sich lohnt.",
                     "Seit dem Relaunch sind wir bei Google nicht mehr auf der ersten Seite."],
            "detail": ["Wir hätten gerne ein monatliches Reporting mit Bezug zum Umsatz."],
            "close": ["Können Sie uns ein Angebot machen?"],
        },
        "fr": {
            "subject": ["Accompagnement SEO", "Campagnes Google Ads"],
            "open": ["Nous dépensons environ {spend} par mois en Google Ads sans savoir si c'est rentable."],
            "detail": ["Nous aimerions un reporting mensuel lié aux ventes."],
            "close": ["Pouvez-vous nous faire une proposition ?"],
        },
        "es": {
            "subject": ["Ayuda con SEO", "Campañas de Google Ads"],
            "open": ["Gastamos unos {spend} al mes en Google Ads y no sabemos si funciona."],
            "detail": ["Queremos informes mensuales ligados a las ventas."],
            "close": ["¿Nos podéis enviar una propuesta?"],
        },
    },
    "data": {
        "en": {
            "subject": ["Data dashboard for {company}", "Sales reporting", "Demand forecasting", "Help with our analytics setup",
                        "Sorting our support emails automatically"],
            "open": [
                "Our sales data lives in {source} and spreadsheets, and nobody trusts the numbers.",
                "We would like a dashboard our managers actually open: {kpis}.",
                "Demand forecasting || Can you help us forecast demand for {product_kind}? We overstock every {season}.",
                "Sorting our support emails automatically || We get hundreds of support emails a week and would like them sorted automatically.",
                "Help with our analytics setup || Our Google Analytics setup is a mess and we are not sure it respects the privacy rules.",
            ],
            "detail": [
                "We have about three years of history.",
                "The data is in {source}, and a few Excel files that the shop managers fill in by hand.",
                "It has to comply with GDPR; the data may not leave the EU.",
                "Ideally the report arrives by email every Monday morning.",
                "We tried Power BI ourselves but nobody maintained it.",
            ],
            "close": ["Is this something you do, and roughly what would it cost?", "Could we meet to show you what we have?",
                      "Our budget is around {budget}."],
        },
        "pt": {
            "subject": ["Dashboard de vendas", "Previsão de procura"],
            "open": ["Os nossos dados de vendas estão em {source} e em folhas de Excel, e ninguém confia nos números."],
            "detail": ["Temos cerca de três anos de histórico.", "Os dados não podem sair da UE."],
            "close": ["Fazem este tipo de trabalho? Quanto custaria mais ou menos?"],
        },
        "de": {
            "subject": ["Dashboard für den Vertrieb"],
            "open": ["Unsere Verkaufsdaten liegen in {source} und diversen Excel-Dateien, und niemand traut den Zahlen."],
            "detail": ["Die Daten dürfen die EU nicht verlassen."],
            "close": ["Bieten Sie so etwas an?"],
        },
        "fr": {
            "subject": ["Tableau de bord des ventes"],
            "open": ["Nos données de ventes sont dans {source} et dans des fichiers Excel, et personne ne croit les chiffres."],
            "detail": ["Nous avons environ trois ans d'historique."],
            "close": ["Est-ce que vous faites ce genre de projet ?"],
        },
        "es": {
            "subject": ["Panel de ventas"],
            "open": ["Nuestros datos de ventas están en {source} y en hojas de Excel, y nadie se fía de los números."],
            "detail": ["Tenemos unos tres años de histórico."],
            "close": ["¿Hacéis este tipo de proyectos?"],
        },
    },
    "ai_assistant": {
        "en": {
            "subject": ["AI chatbot for our website", "Could AI answer our customer questions?"],
            "open": ["We would like an AI chatbot on our website that answers questions about opening hours, prices and orders.",
                     "Everyone is talking about AI assistants; could one answer the questions our customers email us every day?"],
            "detail": ["It must not invent answers: only what is in our own documents.",
                       "The chatbot should hand over to a person when it is unsure.", "It would need to speak English and Portuguese."],
            "close": ["Is an AI chatbot something you build, and what would a pilot cost?"],
        },
    },
    "partnership": {
        "en": {
            "subject": ["Partnership proposal", "Reseller programme for agencies", "White-label development", "Working together?"],
            "open": [
                "I'm {first} from {vendor}; we make booking software that many agencies like yours resell to their clients.",
                "We're a photography studio in {city} and would love to partner with you on client projects.",
                "We are a development team offering white-label Django and React work for agencies at {rate} an hour.",
                "We're a translation agency and often get asked for web designers we can recommend.",
            ],
            "detail": ["Agencies in our programme earn a 20% commission on every licence.",
                       "We could send you our portfolio and references.", "We already work with two agencies in {city}.",
                       "A short call would be enough to see whether there is a fit."],
            "close": ["Would you be open to a 20-minute call?", "Who would be the right person to talk to about this?"],
        },
        "pt": {
            "subject": ["Proposta de parceria"],
            "open": ["Somos um estúdio de fotografia em {city} e gostaríamos de colaborar convosco em projetos de clientes."],
            "detail": ["Podemos enviar o nosso portefólio."],
            "close": ["Teriam disponibilidade para uma chamada curta?"],
        },
        "de": {
            "subject": ["Partnerschaft"],
            "open": ["Wir sind eine Übersetzungsagentur und werden oft nach Webdesignern gefragt, die wir empfehlen können."],
            "detail": ["Wir arbeiten bereits mit zwei Agenturen zusammen."],
            "close": ["Hätten Sie Interesse an einem kurzen Gespräch?"],
        },
    },
    "job_application": {
        "en": {
            "subject": ["Application: {role}", "Internship", "Open application", "Job enquiry"],
            "open": [
                "Application: {role} || I'm a {role} with {years} years of experience and I would love to join Maniva.",
                "Internship || I'm finishing my degree in {field} and I'm looking for an internship from {month}.",
                "I saw your work for a bakery in Lisbon and wanted to ask whether you are hiring.",
            ],
            "detail": ["I have attached my CV and can send my portfolio.", "I speak English, Portuguese and some Spanish.",
                       "Most recently I worked on e-commerce sites for small businesses.", "I'm based in {city} and can work on site or remotely."],
            "close": ["I'd be glad to talk whenever suits you.", "Thank you for reading my application."],
        },
        "pt": {
            "subject": ["Candidatura espontânea", "Estágio"],
            "open": ["Sou {role_pt} com {years} anos de experiência e gostaria muito de fazer parte da vossa equipa.",
                     "Estou a terminar o curso de {field_pt} e procuro um estágio a partir de {month_pt}."],
            "detail": ["Envio em anexo o meu CV.", "Vivo em {city}."],
            "close": ["Obrigado pela atenção."],
        },
        "de": {
            "subject": ["Initiativbewerbung"],
            "open": ["Ich bin {role_de} mit {years} Jahren Berufserfahrung und würde gerne bei Ihnen arbeiten."],
            "detail": ["Meinen Lebenslauf sende ich gerne zu."],
            "close": ["Ich freue mich auf Ihre Antwort."],
        },
        "fr": {
            "subject": ["Candidature spontanée"],
            "open": ["Je suis {role_fr} avec {years} ans d'expérience et j'aimerais beaucoup rejoindre votre équipe."],
            "detail": ["Vous trouverez mon CV en pièce jointe."],
            "close": ["Je reste à votre disposition."],
        },
        "es": {
            "subject": ["Candidatura", "Prácticas"],
            "open": ["Soy {role_es} con {years} años de experiencia y me encantaría trabajar con vosotros."],
            "detail": ["Os adjunto mi CV."],
            "close": ["Muchas gracias por vuestro tiempo."],
        },
    },
    "existing_client": {
        "en": {
            "subject": ["Our website", "Quick request", "Re: our website", "Request from {company}"],
            "open": [
                "Contact form not sending || The contact form on our site stopped sending emails since yesterday.",
                "Invoice {invoice} || Could you resend invoice {invoice} with our new VAT number?",
                "Small change on the website || Could you add the new {season} menu to the website? The PDF is ready.",
                "Follow-up on the proposal || Following up on the proposal you sent last week: we would like to go ahead with phase one.",
                "Site is down || Our site was down this morning for about an hour; do you know what happened?",
                "Team page update || We need two new people added to the team page.",
            ],
            "detail": ["Nothing changed on our side as far as I know.", "Next week is fine.",
                       "Ana has the photos if you need them.", "It is quite urgent because of the campaign on Monday."],
            "close": ["Thanks as always.", "Let me know if you need anything from us.", "Speak soon."],
        },
        "pt": {
            "subject": ["Alteração no site", "Fatura {invoice}"],
            "open": ["O formulário de contacto do nosso site deixou de enviar emails.", "Podem reenviar a fatura {invoice} com o novo NIF?"],
            "detail": ["Não mudámos nada do nosso lado."],
            "close": ["Obrigado!"],
        },
        "de": {
            "subject": ["Kleine Änderung auf der Website"],
            "open": ["Könnten Sie bitte zwei neue Mitarbeiter auf der Teamseite ergänzen?"],
            "detail": ["Die Fotos schicke ich separat."],
            "close": ["Vielen Dank!"],
        },
        "fr": {
            "subject": ["Petite modification du site"],
            "open": ["Le formulaire de contact de notre site n'envoie plus d'e-mails depuis hier."],
            "detail": ["Rien n'a changé de notre côté."],
            "close": ["Merci d'avance."],
        },
        "es": {
            "subject": ["Cambio en la web"],
            "open": ["El formulario de contacto de nuestra web ha dejado de enviar correos."],
            "detail": ["No hemos cambiado nada."],
            "close": ["¡Gracias!"],
        },
    },
    "other": {
        "en": {
            "subject": ["Question", "Quick question", "Hello", "A request"],
            "open": [
                "Careers day at our school || Our school runs a careers day in {month}; would someone from Maniva talk to the students about working in digital?",
                "Interview for my thesis || I'm writing a thesis about small agencies and would like to interview someone for twenty minutes.",
                "Discount for charities? || Do you offer discounts for charities? We are a small animal shelter in {city}.",
                "Talk at our meetup || We organise a monthly web meetup in {city} and are looking for speakers.",
                "Old phone number on your site || I think your contact page shows an old phone number.",
            ],
            "detail": ["I found your address on your website.", "I hope this is not a strange request.", "I'm happy to explain more on the phone."],
            "close": ["Thank you either way.", "I hope this is the right address."],
        },
        "pt": {
            "subject": ["Dia das profissões", "Pergunta"],
            "open": ["A nossa escola organiza um dia das profissões em {month_pt}; alguém da Maniva poderia falar com os alunos?"],
            "detail": ["Seria cerca de uma hora."],
            "close": ["Obrigada desde já."],
        },
        "de": {
            "subject": ["Anfrage"],
            "open": ["Bieten Sie Rabatte für gemeinnützige Vereine an?"],
            "detail": ["Wir sind ein kleiner Tierschutzverein."],
            "close": ["Danke für Ihre Antwort."],
        },
    },
    # ---- spam genres ----
    "seo_pitch": {
        "en": {
            "subject": ["SEO proposal for {domain}", "Increase your website traffic", "Your website is not ranking", "1st page of Google guaranteed"],
            "open": [
                "I was checking {domain} and noticed it is not ranking on the first page of Google for many important keywords.",
                "Hope you are doing well. I am an SEO expert and I can bring your website to the first page of Google.",
                "We are a team of 40+ SEO professionals offering affordable SEO packages for small businesses.",
            ],
            "detail": [
                "We guarantee first page ranking within {n} days or your money back.",
                "Our packages start at only {price} per month and include on-page SEO, off-page SEO and monthly reports.",
                "Your website has several issues: slow loading, missing meta tags, no backlinks and low domain authority.",
                "We have helped 500+ clients increase their organic traffic and sales.",
                "We follow only white hat techniques approved by Google.",
            ],
            "close": ["Reply to this email for a FREE website audit report.", "Shall I send you our price list and past work?",
                      "If you are interested, reply with your phone number and best time to call."],
        },
        "pt": {
            "subject": ["Proposta SEO"],
            "open": ["Analisámos o seu site e reparámos que não aparece na primeira página do Google."],
            "detail": ["Garantimos a primeira página em {n} dias."],
            "close": ["Responda para receber uma auditoria GRÁTIS."],
        },
    },
    "web_design_pitch": {
        "en": {
            "subject": ["Website redesign offer", "Re: your website", "Mobile app development", "Website design at low price"],
            "open": [
                "I came across your website and I think it looks outdated and is not mobile friendly.",
                "We are a web design and development company with 10+ years of experience and 300+ happy clients.",
                "Are you looking for a professional website or mobile app at a very affordable price?",
            ],
            "detail": [
                "We can redesign your website with a modern look for only {price}.",
                "Our services: WordPress, Shopify, custom websites, Android and iOS apps, logo design, SEO.",
                "We can show you a free mock-up of your new homepage before you pay anything.",
                "Our developers are available full time at {price} per week.",
            ],
            "close": ["Let me know if you are interested and I will send our portfolio.", "Please reply with a good time to discuss."],
        },
    },
    "link_sales": {
        "en": {
            "subject": ["Guest post opportunity", "Do-follow backlinks", "Collaboration: guest post on your site", "High DA sites available"],
            "open": [
                "I would like to publish a guest post on your blog with one do-follow link to our client's site.",
                "We have a list of high DA {da}+ websites where we can publish your guest posts with do-follow backlinks.",
                "I'm reaching out to ask whether you accept sponsored articles on your website.",
            ],
            "detail": [
                "Price per post is {price}, payment by PayPal after publication.",
                "All articles are unique, 1000+ words and written by native writers.",
                "Niches: tech, business, casino, CBD, crypto, health, travel.",
                "We can also buy link insertions in your existing articles.",
            ],
            "close": ["Please share your price list.", "Reply if you want the full list of sites and prices."],
        },
    },
    "crypto": {
        "en": {
            "subject": ["Make {pct}% daily with Bitcoin", "Investment opportunity", "Your crypto wallet", "Passive income with AI trading"],
            "open": [
                "Our AI trading bot earns {pct}% profit daily on Bitcoin and Ethereum, fully automatic.",
                "I made $12,000 last month with this crypto investment platform and want to share it with you.",
                "You have unclaimed USDT in your wallet; confirm your address to withdraw it.",
            ],
            "detail": ["Minimum deposit is only $250 and you can withdraw at any time.", "Thousands of investors already trust us.",
                       "This is a limited offer for the first 100 members.", "Contact our account manager on WhatsApp {phone}."],
            "close": ["Don't miss this chance, reply now.", "Register today and get a 50% bonus on your first deposit."],
        },
        "de": {
            "subject": ["Passives Einkommen mit Krypto"],
            "open": ["Unser KI-Trading-Bot erzielt täglich {pct}% Gewinn mit Bitcoin."],
            "detail": ["Mindesteinzahlung nur 250 €."],
            "close": ["Jetzt registrieren und Bonus sichern!"],
        },
        "pt": {
            "subject": ["Invista em Bitcoin"],
            "open": ["O nosso robô de trading ganha {pct}% por dia com Bitcoin."],
            "detail": ["Depósito mínimo de apenas 250 €."],
            "close": ["Registe-se hoje e receba um bónus."],
        },
        "es": {
            "subject": ["Gana dinero con Bitcoin"],
            "open": ["Nuestro bot de trading con IA gana un {pct}% diario con Bitcoin."],
            "detail": ["Depósito mínimo de solo 250 €."],
            "close": ["Regístrate hoy y recibe un bono."],
        },
    },
    "phishing": {
        "en": {
            "subject": ["Domain expiration notice", "Action required: verify your mailbox", "Unpaid invoice", "Your account will be suspended"],
            "open": [
                "Your domain {domain} will expire in 24 hours. Renew now to avoid losing your website and email.",
                "We detected an unusual sign-in to your Microsoft 365 mailbox. Verify your account to keep receiving email.",
                "Please find the overdue invoice for your order in the secure document below.",
                "Your hosting account will be suspended because of a failed payment.",
            ],
            "detail": ["Log in through the secure link to update your billing details.", "Failure to act will result in permanent deletion of your data.",
                       "Enter your email password to confirm your identity.", "This is an automated message from the billing department."],
            "close": ["Regards, Domain Services Team", "Thank you, IT Support", "Security Department"],
        },
        "fr": {
            "subject": ["Votre domaine expire"],
            "open": ["Votre nom de domaine {domain} expire dans 24 heures."],
            "detail": ["Connectez-vous via le lien sécurisé pour mettre à jour vos informations de paiement."],
            "close": ["Service Facturation"],
        },
        "pt": {
            "subject": ["Fatura em atraso"],
            "open": ["A sua conta de alojamento será suspensa por falta de pagamento."],
            "detail": ["Atualize os seus dados de pagamento no link seguro."],
            "close": ["Departamento de Faturação"],
        },
    },
}
# Localised fillers used by the templates above.
LOCAL: dict[str, list[str]] = {
    "business_pt": ["uma padaria", "uma clínica dentária", "um pequeno hotel", "uma florista", "uma loja de bicicletas"],
    "business_de": ["eine Bäckerei", "eine Zahnarztpraxis", "ein kleines Hotel", "einen Fahrradladen"],
    "business_fr": ["une boulangerie", "un cabinet dentaire", "un petit hôtel", "une librairie"],
    "business_es": ["una panadería", "una clínica dental", "un pequeño hotel", "una floristería"],
    "role_pt": ["designer de UX", "programador front-end", "gestor de marketing digital"],
    "role_de": ["Frontend-Entwickler", "UX-Designerin", "Online-Marketing-Manager"],
    "role_fr": ["développeur front-end", "designer UX", "chargée de marketing digital"],
    "role_es": ["desarrollador front-end", "diseñadora UX", "especialista en marketing digital"],
    "field_pt": ["design", "engenharia informática", "marketing"],
    "month_pt": ["janeiro", "março", "setembro"],
}
GREETINGS = {"pt": ["Olá,", "Bom dia,", "Boa tarde,"], "de": ["Hallo,", "Guten Tag,", "Sehr geehrte Damen und Herren,"],
             "fr": ["Bonjour,", "Bonjour à toute l'équipe,"], "es": ["Hola,", "Buenos días,"]}
THANKS = {"pt": ["Cumprimentos,", "Obrigado,", "Com os melhores cumprimentos,"], "de": ["Viele Grüße,", "Mit freundlichen Grüßen,"],
          "fr": ["Cordialement,", "Bien à vous,"], "es": ["Un saludo,", "Saludos,"]}
SPAM_NAMES = ["Ryan", "Jessica", "David Smith", "Emma Wilson", "Alex", "Sophia", "Mark Johnson", "Team Support"]

_SLOT = re.compile(r"\{(\w+)\}")


def _fill(rng: random.Random, template: str, context: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name in context:
            return context[name]
        choices = FILL.get(name) or EN.get(name) or LOCAL.get(name)
        if choices is None:
            raise KeyError(f"demo template slot {{{name}}} has no filler")
        return _fill(rng, rng.choice(choices), context)  # a filler may hold slots of its own

    return _SLOT.sub(value, template)


def _parts(theme: str, language: str) -> dict[str, list[str]]:
    by_language = T[theme]
    return by_language.get(language) or by_language["en"]


def compose(
    rng: random.Random, who: Persona, *, first: str, company: str = "", trend: float = 0.0
) -> DemoMessage:
    """One message from `who`, signed `first`. `trend` (0 → 1 over the demo's year) makes the emerging
    themes (EMERGING) likelier in the last weeks: absent before 0.85, then up to a third of a service's messages."""
    if who.is_spam:
        theme = who.genre
    else:
        theme = who.service if who.intent == "new_project" else who.intent
        emerging = EMERGING.get(theme)
        roll = rng.random()  # drawn whatever the date, so a date moving by a second moves no later draw
        if emerging and trend > 0.85 and roll < (trend - 0.85) / 0.15 * 0.35:
            theme = emerging
    parts = _parts(theme, who.language)
    language = who.language if who.language in T[theme] else "en"
    context = {"first": first, "company": company or "our company"}
    # An opening may bring its own subject ("Subject || opening"), so the two agree.
    own_subject, _, opening = rng.choice(parts["open"]).rpartition(" || ")
    subject = _fill(rng, own_subject if own_subject and rng.random() < 0.8 else rng.choice(parts["subject"]), context)
    details = rng.sample(parts["detail"], k=min(len(parts["detail"]), rng.choice((1, 2, 2, 3, 3, 4))))
    body = " ".join(_fill(rng, part, context) for part in [opening, *details, rng.choice(parts["close"])])
    if who.is_spam:
        sign = rng.choice(SPAM_NAMES)
        text = f"{rng.choice(EN['greeting'][:3]) if language == 'en' else rng.choice(GREETINGS[language])}\n\n{body}\n\n{sign}"
    else:
        greeting = rng.choice(EN["greeting"] if language == "en" else GREETINGS[language])
        thanks = rng.choice(EN["thanks"] if language == "en" else THANKS[language])
        signature = f"{first}" + (f"\n{company}" if company and rng.random() < 0.5 else "")
        text = f"{greeting}\n\n{body}\n\n{thanks}\n{signature}" if rng.random() < 0.8 else f"{body}\n\n{signature}"
    topic = who.service if who.intent == "new_project" else "other"
    return DemoMessage(who, subject[:200], text[:5000], topic)


def demo_messages(count: int, *, seed: int = 1, services: tuple[str, ...] = SERVICES) -> list[DemoMessage]:
    """`count` messages, each from a persona of its own, spread evenly over the trend: for tests and benchmarks."""
    rng = random.Random(seed)
    return [
        compose(rng, persona(rng, services=services), first=rng.choice(EN_FIRST), company=rng.choice(COMPANIES), trend=i / max(1, count - 1))
        for i in range(count)
    ]


EN_FIRST = "Ana Bruno Carla Diego Elena Farid Greta Hugo Ines Jonas Kira Luca Maya Nils Olga Pedro".split()
COMPANIES = ["", "Padaria Lusa", "Northwind Outdoor", "Clinica Sorriso", "Weber Fahrräder", "Atelier Moreau", "Casa Romano"]
