"""The language table behind :mod:`duta.langid.codes`.

One row per language Duta knows: its canonical BCP-47 subtag, English name, default
(suppressed) script, and the tokens the three model families use for it. ``-`` means the
family has no token. Extra rows carry script-qualified variants (``zh-Hans``, ``sr-Latn``...)
whose tokens differ from the bare language.

Sources: FLORES-200 codes (NLLB), the M2M100 language list (100 ISO 639-1 codes) and the
Tatoeba-Challenge labels used by multi-target OPUS-MT models (``>>xxx<<``).
"""

from __future__ import annotations

# code | English name | default script | nllb | m2m100 | opus-mt-multi (without >> <<)
_TABLE = """
af|Afrikaans|Latn|afr_Latn|af|afr
am|Amharic|Ethi|amh_Ethi|am|amh
ar|Arabic|Arab|arb_Arab|ar|ara
as|Assamese|Beng|asm_Beng|-|asm
ast|Asturian|Latn|ast_Latn|ast|ast
az|Azerbaijani|Latn|azj_Latn|az|aze_Latn
ba|Bashkir|Cyrl|bak_Cyrl|ba|bak
be|Belarusian|Cyrl|bel_Cyrl|be|bel
bg|Bulgarian|Cyrl|bul_Cyrl|bg|bul
bh|Bihari|Deva|bho_Deva|-|bho
bn|Bangla|Beng|ben_Beng|bn|ben
bo|Tibetan|Tibt|bod_Tibt|-|bod
br|Breton|Latn|-|br|bre
bs|Bosnian|Latn|bos_Latn|bs|bos_Latn
ca|Catalan|Latn|cat_Latn|ca|cat
ceb|Cebuano|Latn|ceb_Latn|ceb|ceb
ckb|Central Kurdish|Arab|ckb_Arab|-|ckb
cs|Czech|Latn|ces_Latn|cs|ces
cv|Chuvash|Cyrl|-|-|chv
cy|Welsh|Latn|cym_Latn|cy|cym
da|Danish|Latn|dan_Latn|da|dan
de|German|Latn|deu_Latn|de|deu
dv|Divehi|Thaa|-|-|div
dz|Dzongkha|Tibt|dzo_Tibt|-|dzo
el|Greek|Grek|ell_Grek|el|ell
en|English|Latn|eng_Latn|en|eng
eo|Esperanto|Latn|epo_Latn|-|epo
es|Spanish|Latn|spa_Latn|es|spa
et|Estonian|Latn|est_Latn|et|est
eu|Basque|Latn|eus_Latn|-|eus
fa|Persian|Arab|pes_Arab|fa|pes
fi|Finnish|Latn|fin_Latn|fi|fin
fil|Filipino|Latn|tgl_Latn|tl|tgl_Latn
fr|French|Latn|fra_Latn|fr|fra
fy|Western Frisian|Latn|-|fy|fry
ga|Irish|Latn|gle_Latn|ga|gle
gd|Scottish Gaelic|Latn|gla_Latn|gd|gla
gl|Galician|Latn|glg_Latn|gl|glg
gu|Gujarati|Gujr|guj_Gujr|gu|guj
he|Hebrew|Hebr|heb_Hebr|he|heb
hi|Hindi|Deva|hin_Deva|hi|hin
hr|Croatian|Latn|hrv_Latn|hr|hrv
ht|Haitian Creole|Latn|hat_Latn|ht|hat
hu|Hungarian|Latn|hun_Latn|hu|hun
hy|Armenian|Armn|hye_Armn|hy|hye
id|Indonesian|Latn|ind_Latn|id|ind
ilo|Iloko|Latn|ilo_Latn|ilo|ilo
is|Icelandic|Latn|isl_Latn|is|isl
it|Italian|Latn|ita_Latn|it|ita
ja|Japanese|Jpan|jpn_Jpan|ja|jpn
jv|Javanese|Latn|jav_Latn|jv|jav
ka|Georgian|Geor|kat_Geor|ka|kat
kk|Kazakh|Cyrl|kaz_Cyrl|kk|kaz_Cyrl
km|Khmer|Khmr|khm_Khmr|km|khm
kn|Kannada|Knda|kan_Knda|kn|kan
ko|Korean|Kore|kor_Hang|ko|kor
ku|Kurdish|Latn|kmr_Latn|-|kmr
ky|Kyrgyz|Cyrl|kir_Cyrl|-|kir
la|Latin|Latn|-|-|lat
lb|Luxembourgish|Latn|ltz_Latn|lb|ltz
lg|Ganda|Latn|lug_Latn|lg|lug
lo|Lao|Laoo|lao_Laoo|lo|lao
lt|Lithuanian|Latn|lit_Latn|lt|lit
lv|Latvian|Latn|lvs_Latn|lv|lav
mai|Maithili|Deva|mai_Deva|-|mai
mg|Malagasy|Latn|plt_Latn|mg|mlg
mi|Māori|Latn|mri_Latn|-|mri
min|Minangkabau|Latn|min_Latn|-|min
mk|Macedonian|Cyrl|mkd_Cyrl|mk|mkd
ml|Malayalam|Mlym|mal_Mlym|ml|mal
mn|Mongolian|Cyrl|khk_Cyrl|mn|mon
mr|Marathi|Deva|mar_Deva|mr|mar
ms|Malay|Latn|zsm_Latn|ms|zsm_Latn
mt|Maltese|Latn|mlt_Latn|-|mlt
my|Burmese|Mymr|mya_Mymr|my|mya
ne|Nepali|Deva|npi_Deva|ne|nep
nl|Dutch|Latn|nld_Latn|nl|nld
nn|Norwegian Nynorsk|Latn|nno_Latn|-|nno
no|Norwegian|Latn|nob_Latn|no|nor
oc|Occitan|Latn|oci_Latn|oc|oci
or|Odia|Orya|ory_Orya|or|ori
pa|Punjabi|Guru|pan_Guru|pa|pan_Guru
pl|Polish|Latn|pol_Latn|pl|pol
ps|Pashto|Arab|pbt_Arab|ps|pus
pt|Portuguese|Latn|por_Latn|pt|por
ro|Romanian|Latn|ron_Latn|ro|ron
ru|Russian|Cyrl|rus_Cyrl|ru|rus
sa|Sanskrit|Deva|san_Deva|-|san
sd|Sindhi|Arab|snd_Arab|sd|snd_Arab
si|Sinhala|Sinh|sin_Sinh|si|sin
sk|Slovak|Latn|slk_Latn|sk|slk
sl|Slovenian|Latn|slv_Latn|sl|slv
sn|Shona|Latn|sna_Latn|-|sna
so|Somali|Latn|som_Latn|so|som
sq|Albanian|Latn|als_Latn|sq|sqi
sr|Serbian|Cyrl|srp_Cyrl|sr|srp_Cyrl
st|Southern Sotho|Latn|sot_Latn|-|sot
su|Sundanese|Latn|sun_Latn|su|sun
sv|Swedish|Latn|swe_Latn|sv|swe
sw|Swahili|Latn|swh_Latn|sw|swa
ta|Tamil|Taml|tam_Taml|ta|tam
te|Telugu|Telu|tel_Telu|-|tel
tg|Tajik|Cyrl|tgk_Cyrl|-|tgk_Cyrl
th|Thai|Thai|tha_Thai|th|tha
tk|Turkmen|Latn|tuk_Latn|-|tuk_Latn
tn|Tswana|Latn|tsn_Latn|tn|tsn
tr|Turkish|Latn|tur_Latn|tr|tur
ts|Tsonga|Latn|tso_Latn|-|tso
tt|Tatar|Cyrl|tat_Cyrl|-|tat
ug|Uyghur|Arab|uig_Arab|-|uig_Arab
uk|Ukrainian|Cyrl|ukr_Cyrl|uk|ukr
ur|Urdu|Arab|urd_Arab|ur|urd
uz|Uzbek|Latn|uzn_Latn|uz|uzb_Latn
vi|Vietnamese|Latn|vie_Latn|vi|vie
war|Waray|Latn|war_Latn|-|war
wuu|Wu Chinese|Hans|-|-|wuu
xh|Xhosa|Latn|xho_Latn|xh|xho
yi|Yiddish|Hebr|ydd_Hebr|yi|yid
yo|Yoruba|Latn|yor_Latn|yo|yor
yue|Cantonese|Hant|yue_Hant|-|yue_Hant
zh|Chinese|-|zho_Hans|zh|cmn_Hans
zu|Zulu|Latn|zul_Latn|zu|zul
zh-Hans|Chinese|Hans|zho_Hans|zh|cmn_Hans
zh-Hant|Chinese|Hant|zho_Hant|zh|cmn_Hant
yue-Hans|Cantonese|Hans|yue_Hant|-|yue_Hans
sr-Latn|Serbian|Latn|-|sr|srp_Latn
mn-Mong|Mongolian|Mong|-|-|mon
pa-Arab|Punjabi|Arab|pnb_Arab|-|pnb
ms-Arab|Malay|Arab|-|-|zsm_Arab
az-Cyrl|Azerbaijani|Cyrl|-|-|aze_Cyrl
uz-Cyrl|Uzbek|Cyrl|-|-|uzb_Cyrl
kk-Latn|Kazakh|Latn|-|-|kaz_Latn
ku-Arab|Kurdish|Arab|ckb_Arab|-|ckb
"""

# Deprecated or alternative primary subtags (IANA registry "Preferred-Value", ISO 639-2/B,
# macrolanguage members) and their canonical replacement.
ALIASES: dict[str, str] = {
    "in": "id",
    "iw": "he",
    "ji": "yi",
    "jw": "jv",
    "mo": "ro",
    "tl": "fil",
    "sh": "sr-Latn",
    "cmn": "zh",
    "chi": "zh",
    "zho": "zh",
    "msa": "ms",
    "may": "ms",
    "zlm": "ms",
    "per": "fa",
    "fas": "fa",
    "prs": "fa",
    "arb": "ar",
    "ara": "ar",
    "geo": "ka",
    "arm": "hy",
    "bur": "my",
    "khk": "mn",
    "nep": "ne",
    "npi": "ne",
    "pnb": "pa-Arab",
    "azb": "az",
    "azj": "az",
    "aze": "az",
    "uzn": "uz",
    "uzb": "uz",
    "kmr": "ku",
    "kur": "ku",
    "pes": "fa",
    "nob": "no",
    "nb": "no",
    "swh": "sw",
    "als": "sq",
    "sqi": "sq",
    "alb": "sq",
    "lvs": "lv",
    "plt": "mg",
    "mlg": "mg",
    "ydd": "yi",
    "yid": "yi",
    "ory": "or",
    "ori": "or",
    "pbt": "ps",
    "pus": "ps",
    "tgl": "fil",
    "dut": "nl",
    "ger": "de",
    "fre": "fr",
    "gre": "el",
    "ice": "is",
    "mac": "mk",
    "rum": "ro",
    "slo": "sk",
    "wel": "cy",
    "baq": "eu",
    "cze": "cs",
    "tib": "bo",
    "hbs": "sr-Latn",
    "bho": "bh",
}

SCRIPT_NAMES: dict[str, str] = {
    "Hans": "Simplified",
    "Hant": "Traditional",
    "Hani": "Han",
    "Latn": "Latin",
    "Cyrl": "Cyrillic",
    "Arab": "Arabic",
    "Deva": "Devanagari",
    "Mong": "Mongolian",
    "Jpan": "Japanese",
    "Kore": "Korean",
    "Hang": "Hangul",
    "Thai": "Thai",
    "Grek": "Greek",
    "Hebr": "Hebrew",
    "Beng": "Bangla",
    "Guru": "Gurmukhi",
    "Gujr": "Gujarati",
    "Taml": "Tamil",
    "Telu": "Telugu",
    "Knda": "Kannada",
    "Mlym": "Malayalam",
    "Sinh": "Sinhala",
    "Mymr": "Myanmar",
    "Khmr": "Khmer",
    "Laoo": "Lao",
    "Geor": "Georgian",
    "Armn": "Armenian",
    "Ethi": "Ethiopic",
    "Tibt": "Tibetan",
    "Thaa": "Thaana",
    "Orya": "Odia",
}

REGION_NAMES: dict[str, str] = {
    "TW": "Taiwan",
    "HK": "Hong Kong",
    "MO": "Macao",
    "CN": "China",
    "SG": "Singapore",
    "MY": "Malaysia",
    "US": "United States",
    "GB": "United Kingdom",
    "IN": "India",
    "ID": "Indonesia",
    "PH": "Philippines",
    "BR": "Brazil",
    "PT": "Portugal",
    "JP": "Japan",
    "KR": "South Korea",
    "KP": "North Korea",
    "VN": "Vietnam",
    "TH": "Thailand",
    "PK": "Pakistan",
    "BD": "Bangladesh",
    "IR": "Iran",
    "AF": "Afghanistan",
    "LK": "Sri Lanka",
    "NP": "Nepal",
    "BN": "Brunei",
    "AU": "Australia",
    "CA": "Canada",
    "MX": "Mexico",
    "ES": "Spain",
    "FR": "France",
    "DE": "Germany",
    "419": "Latin America",
}


class LanguageRow:
    """One row of the table (plain class with slots: built once at import)."""

    __slots__ = ("code", "name", "script", "nllb", "m2m100", "opus")

    def __init__(self, fields: list[str]) -> None:
        self.code, self.name, self.script = fields[0], fields[1], fields[2]
        self.nllb = fields[3] if fields[3] != "-" else ""
        self.m2m100 = f"__{fields[4]}__" if fields[4] != "-" else ""
        self.opus = f">>{fields[5]}<<" if fields[5] != "-" else ""


def _load() -> dict[str, LanguageRow]:
    rows: dict[str, LanguageRow] = {}
    for line in _TABLE.strip().splitlines():
        fields = line.split("|")
        if len(fields) != 6:  # pragma: no cover - guards edits to the table
            raise ValueError(f"bad language table row: {line!r}")
        rows[fields[0]] = LanguageRow(fields)
    return rows


ROWS: dict[str, LanguageRow] = _load()

# ISO 639-3 codes derived from the FLORES-200 column (``jpn_Jpan`` -> ``jpn`` -> ``ja``).
ISO639_3: dict[str, str] = {
    row.nllb.split("_")[0]: code
    for code, row in ROWS.items()
    if row.nllb and "-" not in code and len(code) <= 3
}
ISO639_3.update({"yue": "yue", "ceb": "ceb", "fil": "fil", "war": "war", "ilo": "ilo"})
