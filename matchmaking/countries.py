"""Countries whose organisations can register: the EU-27 and the other countries that take
part in the EU's cluster programmes (EEA members and the countries associated to the
Single Market Programme's SME pillar). ISO 3166-1 alpha-2 codes."""

from django.utils.translation import gettext_lazy as _

EU_27 = [
    ("AT", _("Austria")), ("BE", _("Belgium")), ("BG", _("Bulgaria")), ("HR", _("Croatia")),
    ("CY", _("Cyprus")), ("CZ", _("Czechia")), ("DK", _("Denmark")), ("EE", _("Estonia")),
    ("FI", _("Finland")), ("FR", _("France")), ("DE", _("Germany")), ("GR", _("Greece")),
    ("HU", _("Hungary")), ("IE", _("Ireland")), ("IT", _("Italy")), ("LV", _("Latvia")),
    ("LT", _("Lithuania")), ("LU", _("Luxembourg")), ("MT", _("Malta")),
    ("NL", _("Netherlands")), ("PL", _("Poland")), ("PT", _("Portugal")),
    ("RO", _("Romania")), ("SK", _("Slovakia")), ("SI", _("Slovenia")), ("ES", _("Spain")),
    ("SE", _("Sweden")),
]  # fmt: skip

PROGRAMME_PARTNERS = [
    ("IS", _("Iceland")), ("LI", _("Liechtenstein")), ("NO", _("Norway")),
    ("AL", _("Albania")), ("AM", _("Armenia")), ("BA", _("Bosnia and Herzegovina")),
    ("XK", _("Kosovo")), ("MD", _("Moldova")), ("ME", _("Montenegro")),
    ("MK", _("North Macedonia")), ("RS", _("Serbia")), ("UA", _("Ukraine")),
]  # fmt: skip

COUNTRY_CHOICES = [
    (_("European Union"), EU_27),
    (_("Other countries in EU cluster programmes"), PROGRAMME_PARTNERS),
]
COUNTRY_CODES = [code for code, _name in EU_27 + PROGRAMME_PARTNERS]
