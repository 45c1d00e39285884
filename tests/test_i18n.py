"""English and Spanish: every page, email and reason sentence; the catalogue itself.

Sector names come in the active language (``Sector.name``); cluster and state names, and
other text quoted from the briefing, are data and read the same in both languages.
"""

import ast
import gettext as gnu_gettext
import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from clusters.models import Cluster, Sector
from clusters.text import fold
from matchmaking import notifications, services
from matchmaking.matching import engine, reasons
from matchmaking.models import Organisation
from matchmaking.views.common import ReasonRenderer
from tests.factories import (
    PASSWORD,
    make_interest,
    make_organisation,
    make_suggestion,
    sector_exact_reason,
)

PO_FILE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")
ES = {"HTTP_ACCEPT_LANGUAGE": "es"}
CLUSTER_SLUG = "chihuahua-s-aerospace-cluster"  # its name is English in the briefing
CLUSTER_NAME = "Chihuahua's Aerospace Cluster"


# --- The catalogue ---------------------------------------------------------------------------


def parse_po(path: Path) -> list[dict]:
    """The entries of a .po file (obsolete ``#~`` entries left out): ``msgctxt``, ``msgid``,
    ``msgid_plural``, ``msgstr`` / ``msgstr[N]`` and ``flags``."""
    entries, entry, last = [], {"flags": set()}, None

    def flush():
        if "msgid" in entry:
            entries.append(entry)

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            flush()
            entry, last = {"flags": set()}, None
        elif line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif match := re.match(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (\".*\")$", line):
            last = match.group(1)
            entry[last] = ast.literal_eval(match.group(2))
        elif line.startswith('"'):
            entry[last] += ast.literal_eval(line)
    flush()
    return entries


def untranslated(entries: list[dict]) -> list[str]:
    """msgids that are fuzzy or have an empty translation (any plural form)."""
    bad = []
    for entry in entries:
        if not entry["msgid"]:
            continue  # the header
        forms = [v for k, v in entry.items() if k.startswith("msgstr")]
        if "fuzzy" in entry["flags"] or not forms or not all(forms):
            bad.append(entry["msgid"])
    return bad


def po_header(entries: list[dict]) -> dict[str, str]:
    [header] = [entry for entry in entries if entry["msgid"] == ""]
    pairs = (line.split(": ", 1) for line in header["msgstr"].splitlines() if ": " in line)
    return dict(pairs)


def test_every_message_is_translated_and_none_is_fuzzy():
    entries = parse_po(PO_FILE)
    assert len(entries) > 500
    assert untranslated(entries) == []
    header = po_header(entries)
    assert header["Language"] == "es"
    assert header["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert "fuzzy" not in next(e for e in entries if e["msgid"] == "")["flags"]


def test_placeholders_survive_translation():
    for entry in parse_po(PO_FILE):
        sources = [entry["msgid"], entry.get("msgid_plural", entry["msgid"])]
        wanted = {p for s in sources for p in re.findall(r"%\(\w+\)[sd]", s)}
        for key, value in entry.items():
            if key.startswith("msgstr") and entry["msgid"]:
                found = set(re.findall(r"%\(\w+\)[sd]", value))
                # A singular may leave the count out ("Este perfil..."), never add one.
                assert found <= wanted, (entry["msgid"], value)
                if key in ("msgstr", "msgstr[1]"):
                    assert found >= wanted - {"%(counter)s", "%(count)s"} or not wanted, (
                        entry["msgid"],
                        value,
                    )


def test_the_compiled_catalogue_in_the_repository_matches_the_po_file():
    with MO_FILE.open("rb") as handle:
        compiled = gnu_gettext.GNUTranslations(handle)._catalog
    for entry in parse_po(PO_FILE):
        if not entry["msgid"]:
            continue
        key = entry["msgid"]
        if "msgctxt" in entry:
            key = f"{entry['msgctxt']}\x04{key}"
        if "msgid_plural" in entry:
            assert compiled[(key, 0)] == entry["msgstr[0]"], key
            assert compiled[(key, 1)] == entry["msgstr[1]"], key
        else:
            assert compiled[key] == entry["msgstr"], key


def test_no_string_of_the_code_is_missing_from_the_catalogue(tmp_path):
    """``makemessages`` run on a copy of the code adds no entry that lacks a translation: a
    string added to a template or module without translating it fails here."""
    if not shutil.which("xgettext"):
        pytest.fail("GNU gettext is needed (Debian: apt-get install gettext)")
    root = Path(settings.BASE_DIR)
    for name in ("clusters", "matchmaking", "benchmarks", "config", "templates", "locale"):
        shutil.copytree(
            root / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "vendor")
        )
    shutil.copy(root / "manage.py", tmp_path / "manage.py")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es", "--no-obsolete", "-v", "0"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    refreshed = parse_po(tmp_path / "locale" / "es" / "LC_MESSAGES" / "django.po")
    assert untranslated(refreshed) == [], (
        "untranslated strings: run makemessages, translate them in locale/es/LC_MESSAGES/"
        "django.po, then compilemessages (docs/TRANSLATIONS.md)"
    )


# --- Pages -----------------------------------------------------------------------------------

PUBLIC_PAGES = [
    # (url name, args, Spanish strings the page must show)
    ("clusters:cluster_list", [], ["Clústeres mexicanos", "Mostrar clústeres", "Sello ESCA"]),
    ("clusters:cluster_detail", [CLUSTER_SLUG], ["Perfil", "Fuente", "Aeroespacial"]),
    ("clusters:state_list", [], ["Las 32 entidades federativas de México"]),
    ("clusters:state_detail", ["MX-NLE"], ["Sectores en los que destaca (tabla 2)"]),
    ("clusters:sector_list", [], ["Ecosistemas industriales de la UE", "Aeroespacial y defensa"]),
    ("clusters:sector_detail", ["aerospace"], ["<h1>Aeroespacial</h1>", "Datos clave"]),
    ("clusters:map", [], ["Clústeres en el mapa", "Clústeres por sector"]),
    ("clusters:programme_list", [], ["Programas y proyectos de cooperación UE–México", "Ámbito"]),
    ("matchmaking:signup", [], ["Registre su organización", "Nombre de la organización"]),
    ("login", [], ["Iniciar sesión", "¿Ha olvidado su contraseña?"]),
    ("matchmaking:privacy", [], ["Aviso de privacidad", "Qué datos guardamos"]),
    ("password_reset", [], ["Restablezca su contraseña", "Enviar el enlace"]),
    ("password_reset_done", [], ["Revise su correo"]),
    ("matchmaking:match_preview", [], ["Vea con quién coincidiría", "Tipos de cooperación"]),
]
COMMON_SPANISH = ['<html lang="es">', "Directorio", "Saltar al contenido principal", "Idioma"]


def english_leaks(text: str) -> list[str]:
    """English sentences of the catalogue that a Spanish page still shows."""
    page = html.unescape(re.sub(r"<[^>]+>", " ", text))
    page = " ".join(page.split())
    leaks = []
    for entry in _catalogue_sentences():
        if entry in page:
            leaks.append(entry)
    return leaks


_SENTENCES: list[str] = []


def _catalogue_sentences() -> list[str]:
    """Longer English msgids (three words or more, no placeholder) whose Spanish differs."""
    if not _SENTENCES:
        for entry in parse_po(PO_FILE):
            msgid = entry["msgid"]
            if (
                len(msgid.split()) >= 3
                and "%" not in msgid
                and "<" not in msgid
                and entry.get("msgstr") not in (None, msgid)
            ):
                _SENTENCES.append(msgid)
    return _SENTENCES


def assert_spanish(response, expected):
    assert response.status_code == 200, response.status_code
    text = response.content.decode()
    for snippet in [*COMMON_SPANISH, *expected]:
        assert snippet in text, snippet
    assert english_leaks(text) == []


@pytest.mark.parametrize(("name", "args", "expected"), PUBLIC_PAGES)
def test_public_pages_in_spanish_by_accept_language(client, briefing, name, args, expected):
    response = client.get(reverse(name, args=args), **ES)
    assert_spanish(response, expected)
    assert response["Content-Language"] == "es"


def test_public_pages_in_english_by_default(client, briefing):
    for name, args, _expected in PUBLIC_PAGES:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
        assert '<html lang="en">' in response.text, name
        assert "Skip to main content" in response.text, name
        assert "Saltar al contenido principal" not in response.text, name


def test_not_found_page_in_spanish(client, briefing):
    response = client.get("/clusters/no-such-cluster/", **ES)
    assert response.status_code == 404
    assert '<html lang="es">' in response.text
    assert "Página no encontrada" in response.text


def test_the_language_switcher_posts_with_csrf_and_the_site_answers_in_spanish(briefing):
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("clusters:map"))
    assert '<html lang="en">' in page.text
    form = re.search(
        r'<form class="language" action="([^"]+)" method="post">(.*?)</form>', page.text, re.S
    )
    assert form, "the language switcher form"
    action, body = form.groups()
    assert action == reverse("set_language")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    next_url = html.unescape(re.search(r'name="next" type="hidden" value="([^"]*)"', body).group(1))
    assert next_url == reverse("clusters:map")
    assert '<option value="es" lang="es">Español</option>' in body

    response = client.post(
        action, {"csrfmiddlewaretoken": token, "language": "es", "next": next_url}
    )

    assert response.status_code == 302
    assert response.url == reverse("clusters:map")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    for name, args, expected in PUBLIC_PAGES:
        assert_spanish(client.get(reverse(name, args=args)), expected)
    # Each language keeps its own name in the switcher, whatever the page's language.
    page = client.get(reverse("clusters:cluster_list")).text
    assert '<option value="en" lang="en">English</option>' in page
    assert '<option value="es" lang="es" selected>Español</option>' in page
    # And back to English.
    page = client.get(reverse("clusters:cluster_list"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    client.post(reverse("set_language"), {"csrfmiddlewaretoken": token, "language": "en"})
    assert "Mexican clusters" in client.get(reverse("clusters:cluster_list")).text


def test_the_switcher_refuses_a_post_without_csrf(briefing):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert response.status_code == 403


@pytest.fixture
def member(client, briefing):
    """A logged-in organisation with an interest and a suggestion (in aerospace)."""
    organisation = make_organisation(name="Aerospace Valley", email_verified_at=timezone.now())
    interest = make_interest(organisation, title="Aero partners", sectors=["aerospace"])
    cluster = Cluster.objects.get(slug=CLUSTER_SLUG)
    make_suggestion(interest, cluster, score=64, reasons=[sector_exact_reason("aerospace")])
    client.force_login(organisation.user)
    return organisation


def member_pages(organisation):
    interest = organisation.interests.get()
    return [
        (reverse("matchmaking:dashboard"), ["Su panel", "Añadir un interés", "Me interesa"]),
        (reverse("matchmaking:interest_new"), ["Nuevo interés", "Estados mexicanos de interés"]),
        (reverse("matchmaking:interest_edit", args=[interest.pk]), ["Editar el interés"]),
        (
            reverse("matchmaking:interest_detail", args=[interest.pk]),
            ["Sugerencias", "Mismo sector: Aeroespacial", "No relevante", "Puntuación 64/100"],
        ),
        (reverse("matchmaking:interest_delete", args=[interest.pk]), ["Eliminar el interés"]),
        (reverse("matchmaking:my_data"), ["Mis datos", "Idioma de los correos", "Descargar"]),
        (reverse("matchmaking:delete_account"), ["Eliminar mi cuenta"]),
        (reverse("password_change"), ["Cambiar la contraseña"]),
        (
            reverse("matchmaking:match_preview") + "?sectors=aerospace",
            ["Coincidencias", "Mismo sector: Aeroespacial", html.escape(CLUSTER_NAME)],
        ),
    ]


def test_member_pages_in_spanish(client, member):
    for url, expected in member_pages(member):
        assert_spanish(client.get(url, **ES), expected)


def test_dashboard_in_english_keeps_english_sector_names(client, member):
    response = client.get(reverse("matchmaking:interest_detail", args=[member.interests.get().pk]))
    assert "Same sector: Aerospace" in response.text
    assert "Aeroespacial" not in response.text


def test_form_errors_in_spanish(client, briefing):
    response = client.post(reverse("matchmaking:signup"), {"email": "no"}, **ES)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Corrija lo siguiente" in text
    assert "Para registrarse debe aceptar el aviso de privacidad." in text
    assert "Introduzca una dirección de correo electrónico válida." in text  # Django's own


def test_sector_choices_are_in_alphabetical_order_of_the_active_language(client, member):
    from matchmaking.forms import InterestForm, MatchPreviewForm

    for language, first in (("en", "Advanced manufacturing and industry"), ("es", "Aeroespacial")):
        with translation.override(language):
            for form in (InterestForm(), MatchPreviewForm()):
                names = [str(label) for _value, label in form.fields["sectors"].choices]
                assert names[0] == first
                assert names == sorted(names, key=fold)
    page = client.get(reverse("matchmaking:interest_new"), **ES).text
    assert page.index("Aeroespacial") < page.index("Automotriz") < page.index("Turismo")


def test_sector_lists_are_in_alphabetical_order_of_the_active_language(client, briefing):
    for language, names in (
        ("en", ["Advanced manufacturing and industry", "Aerospace", "Agriculture and agri-food"]),
        ("es", ["Aeroespacial", "Agroindustria y agroalimentos", "Alimentos procesados"]),
    ):
        page = client.get(reverse("clusters:sector_list"), HTTP_ACCEPT_LANGUAGE=language).text
        rows = re.findall(r'<th scope="row"><a href="/sectors/[^"]+/">([^<]+)</a>', page)
        assert rows[:3] == names
        assert rows == sorted(rows, key=fold)


def test_api_json_messages_and_sector_names_in_spanish(client, briefing):
    response = client.get(reverse("clusters:api_cluster_list") + "?sector=nope", **ES)
    assert response.status_code == 400
    assert "Sector desconocido" in response.content.decode()


# --- Sector and cluster names ----------------------------------------------------------------


def test_sector_names_follow_the_language_cluster_names_do_not(client, briefing):
    aerospace = Sector.objects.get(slug="aerospace")
    with translation.override("en"):
        assert aerospace.name == "Aerospace"
    with translation.override("es"):
        assert aerospace.name == "Aeroespacial"

    english = client.get(reverse("clusters:cluster_detail", args=[CLUSTER_SLUG])).text
    spanish = client.get(reverse("clusters:cluster_detail", args=[CLUSTER_SLUG]), **ES).text
    assert f"<h1>{html.escape(CLUSTER_NAME)}" in english
    assert f"<h1>{html.escape(CLUSTER_NAME)}" in spanish
    assert ">Aerospace</a>" in english and ">Aeroespacial</a>" in spanish
    # State names are official Spanish names in both languages.
    assert "Chihuahua" in english and "Chihuahua" in spanish
    # Every published cluster name appears unchanged in the Spanish directory.
    spanish_list = client.get(reverse("clusters:cluster_list") + "?state=MX-NLE", **ES).text
    for name in (
        Cluster.objects.published().filter(state__code="MX-NLE").values_list("name", flat=True)
    ):
        assert html.escape(name) in spanish_list, name


# --- Reasons ---------------------------------------------------------------------------------

NAMES_ES = {"aerospace": "Aeroespacial", "automotive": "Automotriz"}
STATES = {"MX-QUE": "Querétaro"}


def render(code, points=10, **params):
    return reasons.render(
        engine.Reason(code, params, points), sector_names=NAMES_ES, state_names=STATES
    )


def test_reasons_render_in_spanish():
    with translation.override("es"):
        assert render(engine.Code.SECTOR_EXACT, sector="aerospace") == "Mismo sector: Aeroespacial"
        assert (
            render(engine.Code.SECTOR_EXACT, sector="aerospace,automotive")
            == "Mismos sectores: Aeroespacial y Automotriz"
        )
        assert render(engine.Code.SECTOR_RELATED, sector="automotive") == "Sector afín: Automotriz"
        assert (
            render(engine.Code.TARGET_STATE, state="MX-QUE") == "En su estado de interés, Querétaro"
        )
        assert render(engine.Code.STRONGHOLD, state="MX-QUE", sector="aerospace") == (
            "Querétaro es donde se concentran los clústeres mexicanos del sector aeroespacial "
            "(informe preparatorio, tabla 2)"
        )
        assert render(engine.Code.LABEL, level="gold") == (
            "Tiene un sello ESCA Oro, vigente a la fecha del informe preparatorio (dic. 2016)"
        )
        assert render(engine.Code.SIZE_KNOWN).startswith("Tamaño y madurez conocidos")
        assert (
            render(engine.Code.TEXT_OVERLAP, terms="composites,drones")
            == "Su descripción menciona «composites» y «drones», igual que su perfil"
        )
        assert (
            render(engine.Code.KIND_FIT, kind="technology,skills")
            == "Encaja con sus objetivos: alianza tecnológica y de I+D y competencias/formación"
        )


def test_every_reason_code_has_a_spanish_sentence():
    params = {"sector": "aerospace", "state": "MX-QUE", "level": "silver", "terms": "x"}
    params["kind"] = "technology"
    codes = [value for name, value in vars(engine.Code).items() if name.isupper()]
    assert len(codes) == 8
    for code in codes:
        with translation.override("en"):
            english = render(code, **params)
        with translation.override("es"):
            spanish = render(code, **params)
        assert spanish != english, code


def test_the_reason_renderer_takes_sector_names_in_the_active_language(briefing):
    reason = engine.Reason.from_dict(sector_exact_reason("aerospace"))
    with translation.override("es"):
        assert ReasonRenderer().render(reason) == "Mismo sector: Aeroespacial"
    with translation.override("en"):
        assert ReasonRenderer().render(reason) == "Same sector: Aerospace"


# --- Emails in the organisation's language ---------------------------------------------------


def signup_data(**overrides):
    data = {
        "email": "ana@example.es",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "name": "Clúster Aeroespacial Andaluz",
        "country": "ES",
        "kind": Organisation.Kind.CLUSTER,
        "consent": "on",
    }
    return data | overrides


@pytest.mark.django_db
def test_signing_up_in_spanish_records_spanish_and_verifies_in_spanish(client):
    response = client.post(reverse("matchmaking:signup"), signup_data(), **ES)
    assert response.status_code == 302
    organisation = Organisation.objects.get()
    assert organisation.language == "es"
    [message] = mail.outbox
    assert message.subject == (
        "Verifique su correo electrónico para la Vinculación de clústeres UE–México"
    )
    assert "Hola, Clúster Aeroespacial Andaluz:" in message.body
    assert "El enlace es válido durante 3 días." in message.body
    # The welcome message on the next page too.
    assert "Le damos la bienvenida" in client.get(response.url, **ES).text


@pytest.mark.django_db
def test_signing_up_in_english_records_english(client):
    client.post(reverse("matchmaking:signup"), signup_data())
    assert Organisation.objects.get().language == "en"
    assert mail.outbox[0].subject.startswith("Verify your email address")


@pytest.mark.django_db
def test_the_verification_email_follows_the_organisation_not_the_request():
    organisation = make_organisation(language="es")
    with translation.override("en"):
        services.send_verification_email(organisation=organisation, site_url="https://x.example")
    assert mail.outbox[0].subject.startswith("Verifique su correo electrónico")
    assert translation.get_language() == settings.LANGUAGE_CODE  # nothing leaked


@pytest.mark.django_db
def test_digest_email_in_the_organisation_language(settings):
    settings.SITE_URL = "https://matchmaking.example"
    spanish = make_organisation(language="es", email_verified_at=timezone.now())
    english = make_organisation(language="en", email_verified_at=timezone.now())

    with translation.override("es"):  # whatever language the worker happens to run in
        assert notifications.send_digests({spanish.pk: 3, english.pk: 1}) == 2

    by_recipient = {message.to[0]: message for message in mail.outbox}
    es_message, en_message = by_recipient[spanish.email], by_recipient[english.email]
    assert es_message.subject == "3 nuevos clústeres mexicanos sugeridos para usted"
    assert f"Hola, {spanish.name}:" in es_message.body
    assert "Hemos encontrado 3 nuevos clústeres mexicanos" in es_message.body
    assert "https://matchmaking.example/dashboard/" in es_message.body
    assert en_message.subject == "1 new Mexican cluster suggested for you"
    assert "We found 1 new Mexican cluster" in en_message.body


@pytest.mark.django_db
def test_email_language_is_shown_changed_and_exported_on_my_data(client):
    organisation = make_organisation(language="en")
    client.force_login(organisation.user)
    assert "Language of the emails" in client.get(reverse("matchmaking:my_data")).text

    client.post(reverse("matchmaking:notifications"), {"notify_by_email": "on", "language": "es"})
    organisation.refresh_from_db()
    assert organisation.language == "es"
    assert organisation.notify_by_email is True
    page = client.get(reverse("matchmaking:my_data"), **ES).text
    assert '<option value="es" selected>Español</option>' in page

    # An unknown or missing language leaves it alone.
    client.post(reverse("matchmaking:notifications"), {"language": "xx"})
    client.post(reverse("matchmaking:notifications"), {"notify_by_email": "on"})
    organisation.refresh_from_db()
    assert organisation.language == "es"

    exported = client.get(reverse("matchmaking:export_data")).json()
    assert exported["organisation"]["language"] == "es"


@pytest.mark.django_db
def test_export_reasons_and_sector_names_in_the_page_language(client, briefing):
    organisation = make_organisation()
    interest = make_interest(organisation, sectors=["aerospace"])
    make_suggestion(interest, Cluster.objects.get(slug=CLUSTER_SLUG))
    client.force_login(organisation.user)
    exported = client.get(reverse("matchmaking:export_data"), **ES).json()
    [item] = exported["interests"]
    assert item["sectors"] == [{"slug": "aerospace", "name": "Aeroespacial"}]
    assert item["suggestions"][0]["reasons"][0]["text"] == "Mismo sector: Aeroespacial"
    assert item["suggestions"][0]["cluster"]["name"] == CLUSTER_NAME


@pytest.mark.parametrize(
    ("given", "stored"), [("es", "es"), ("es-mx", "es"), ("en-gb", "en"), ("", "en"), ("xx", "en")]
)
def test_email_language_is_one_of_the_site_languages(given, stored):
    assert services.email_language(given) == stored


@pytest.mark.django_db
def test_password_reset_email_in_the_page_language(client):
    user = make_organisation(language="en").user
    client.post(reverse("password_reset"), {"email": user.email}, **ES)
    [message] = mail.outbox
    assert message.subject == "Restablezca su contraseña de la Vinculación de clústeres UE–México"
    assert "Hola:" in message.body
