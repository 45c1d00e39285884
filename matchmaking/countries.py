"""Countries whose organisations can register. ISO 3166-1 alpha-2 codes.

Sources (as of late 2024 / 2025):
- EU-27: the member states (european-union.europa.eu, "EU countries").
- EEA: the EU-27 plus Iceland, Liechtenstein and Norway (EEA Agreement).
- Associated to Horizon Europe: the Commission's "List of participating countries in Horizon
  Europe" (EU Funding & Tenders Portal, reference documents), which lists Albania, Armenia,
  Bosnia and Herzegovina, Canada (Pillar II), the Faroe Islands, Georgia, Iceland, Israel,
  Kosovo, Moldova, Montenegro, New Zealand (Pillar II), North Macedonia, Norway, Serbia, the
  Republic of Korea (Pillar II), Tunisia, Türkiye, Ukraine and the United Kingdom, and
  Switzerland from 2025.
- Single Market Programme (the successor of COSME that funds the European Cluster
  Collaboration Platform's calls): the EEA countries and the Western Balkan and Eastern
  Partnership countries of the list above (Albania, Armenia, Bosnia and Herzegovina, Kosovo,
  Moldova, Montenegro, North Macedonia, Serbia, Ukraine), already included.
Left out because their association was still being negotiated or not in force when this list
was written (check before adding): Morocco, Egypt, Japan.
"""

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

EEA_EFTA = [("IS", _("Iceland")), ("LI", _("Liechtenstein")), ("NO", _("Norway"))]

UK_AND_SWITZERLAND = [("CH", _("Switzerland")), ("GB", _("United Kingdom"))]

PROGRAMME_PARTNERS = [
    ("AL", _("Albania")), ("AM", _("Armenia")), ("BA", _("Bosnia and Herzegovina")),
    ("CA", _("Canada")), ("FO", _("Faroe Islands")), ("GE", _("Georgia")),
    ("IL", _("Israel")), ("XK", _("Kosovo")), ("MD", _("Moldova")), ("ME", _("Montenegro")),
    ("NZ", _("New Zealand")), ("MK", _("North Macedonia")), ("KR", _("Republic of Korea")),
    ("RS", _("Serbia")), ("TN", _("Tunisia")), ("TR", _("Türkiye")), ("UA", _("Ukraine")),
]  # fmt: skip

COUNTRY_CHOICES = [
    (_("European Union"), EU_27),
    (_("European Economic Area"), EEA_EFTA),
    (_("United Kingdom and Switzerland"), UK_AND_SWITZERLAND),
    (_("Other countries in EU cluster and research programmes"), PROGRAMME_PARTNERS),
]
COUNTRY_CODES = [code for code, _name in EU_27 + EEA_EFTA + UK_AND_SWITZERLAND + PROGRAMME_PARTNERS]
COUNTRY_NAMES = dict(EU_27 + EEA_EFTA + UK_AND_SWITZERLAND + PROGRAMME_PARTNERS)
