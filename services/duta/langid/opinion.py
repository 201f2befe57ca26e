"""How lingua's second opinion is asked for and read (see :meth:`Detector._second_opinion`).

Which languages a text's letters point at, when fastText's leader stands without lingua, and
how lingua's answer is adjusted before it is multiplied in: a language dropped when its word
shapes rule it out, the leaders' comparison tempered or pooled where lingua's trigrams are
known to be weaker than fastText (one English word).
"""

from __future__ import annotations

import re

from duta.langid.ngram import ASKED_ON_LETTERS, IN_GROUPS

__all__ = ["asked_on_letters", "outsider_settled", "pooled", "tempered", "without"]

# Per script, the share from which fastText's leader, when it is outside the script's close
# groups, is not questioned by lingua (see outsider_settled).
_OUTSIDER_SHARE = {"Arab": 0.0, "Deva": 0.5, "Cyrl": 0.6}
# Letters of a group member the outsider does not write: with one, lingua is still asked.
_GROUP_LETTERS = {
    "Arab": frozenset("ٹڈڑںےۓھہ"),  # Urdu
    "Deva": frozenset("ळ\u0945\u090d\u0972"),  # Marathi
    "Cyrl": frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ"),  # Kazakh, Mongolian
}
# Per script, a language and the spellings that point at it whatever fastText says: lingua is
# then asked, and compares it with fastText's leaders. Azerbaijani's schwa, and its
# infinitive -maq (-mək has the schwa), which Turkish writes -mak and Uzbek -moq (almaq,
# qoymaq were English, Uzbek; dev.tsv: Azerbaijani +2 texts, nothing lost; q alone was tried:
# Uzbek -8 texts).
_MARKED_SPELLINGS = {"Latn": (("az", re.compile(r"ə|maq\b")),)}
# See russian_or_ukrainian.
_RU_UK = ("ru", "uk")
_RU_UK_LETTERS = frozenset("іїєґыэъёІЇЄҐЫЭЪЁ")
_RU_UK_TEMPER = 0.25
# See tempered.
_LEADERS_TEMPER = 0.5


def pooled(opinion: dict[str, float], leaders: frozenset[str]) -> dict[str, float]:
    """lingua's opinion with fastText's leaders given their mean value, so fastText's order
    among them stands (used when English leads: lingua's trigrams read English words as
    Catalan, German, French: robot, instant, column; on wordfreq's English words of rank
    4,000-12,000, not in either set, lingua between the leaders took English from 83 % to
    73 %, now 82 %; dev.tsv: 21 texts of other languages fastText read as English lingua no
    longer corrects, no language nearer its fastText floor)."""
    present = [code for code in leaders if code in opinion]
    if len(present) < 2:
        return opinion
    mean = sum(opinion[code] for code in present) / len(present)
    return {code: mean if code in leaders else value for code, value in opinion.items()}


def russian_or_ukrainian(opinion: dict[str, float], norm: str) -> dict[str, float]:
    """lingua's split between Russian and Ukrainian softened (their values to the power
    :data:`_RU_UK_TEMPER`, their sum kept) when the text has no letter only one of them writes
    (і ї є ґ / ы э ъ ё): lingua's trigrams read Russian words as Ukrainian (реформ, шоколад,
    ручку), so fastText's order between the two matters more. On wordfreq's Russian and
    Ukrainian words of rank 4,000-12,000 (a probe outside both sets): Russian -6.0 -> -3.5
    points from fastText alone, Ukrainian +6.8 -> +3.5; dev.tsv: Ukrainian -2 texts (still
    above fastText), Serbian +1 (pooling them fully: Ukrainian -4, on the probe +0.2)."""
    ru, uk = _RU_UK
    if ru not in opinion or uk not in opinion or not _RU_UK_LETTERS.isdisjoint(norm):
        return opinion
    mass = opinion[ru] + opinion[uk]
    soft_ru, soft_uk = opinion[ru] ** _RU_UK_TEMPER, opinion[uk] ** _RU_UK_TEMPER
    if not soft_ru + soft_uk:
        return opinion
    scale = mass / (soft_ru + soft_uk)
    return {**opinion, ru: soft_ru * scale, uk: soft_uk * scale}


def without(opinion: dict[str, float], dropped: frozenset[str]) -> dict[str, float]:
    """lingua's opinion over the other languages, renormalised (a softmax over fewer)."""
    kept = {code: value for code, value in opinion.items() if code not in dropped}
    total = sum(kept.values())
    return {code: value / total for code, value in kept.items()} if total > 0 else {}


def tempered(opinion: dict[str, float], weak: frozenset[str]) -> dict[str, float]:
    """lingua's opinion when only a language's alphabet asked for it (:data:`ASKED_ON_LETTERS`):
    the other languages keep their share of lingua's mass, split by lingua's values to the
    power :data:`_LEADERS_TEMPER` (lingua's trigrams on one English word are sharp and often
    wrong: huge -> fr, reporter -> es; dev.tsv: 0.5 gives 5 texts more right, 3 fewer)."""
    others = [code for code in opinion if code not in weak]
    if len(others) < 2:
        return opinion
    mass = sum(opinion[code] for code in others)
    tempered = {code: opinion[code] ** _LEADERS_TEMPER for code in others}
    scale = mass / (sum(tempered.values()) or 1.0)
    return {code: opinion[code] if code in weak else tempered[code] * scale for code in opinion}


def outsider_settled(norm: str, script: str, leader: str, share: float) -> bool:
    """Whether fastText's leader, a language outside the script's close groups, stands without
    lingua: from :data:`_OUTSIDER_SHARE` of the score, or in a sentence, unless a letter of a
    group member (:data:`_GROUP_LETTERS`) is in the text. dev.tsv: 40 more texts right
    (Pashto, Sindhi, Kurdish, Uyghur, Nepali, Bulgarian, Macedonian...), one Marathi and one
    Kazakh less, ≈ 150 fewer lingua calls (lingua turned more of these texts wrong than right)."""
    floor = _OUTSIDER_SHARE.get(script)
    if floor is None or leader in IN_GROUPS[script] or not _GROUP_LETTERS[script].isdisjoint(norm):
        return False
    return share >= floor or norm.count(" ") >= 2


def asked_on_letters(norm: str, script: str) -> tuple[list[str], list[str]]:
    """Languages the text's letters point at (see :data:`ASKED_ON_LETTERS`): those with a
    letter or spelling (:data:`_MARKED_SPELLINGS`) of their own in it, and those whose alphabet
    merely holds all its letters."""
    lower = norm.lower()
    marked = [code for code, shape in _MARKED_SPELLINGS.get(script, ()) if shape.search(lower)]
    alphabet_only: list[str] = []
    for code, needed, alphabet in ASKED_ON_LETTERS.get(script, ()):
        if not alphabet.issuperset(lower):
            continue
        if needed is not None and not needed.isdisjoint(lower):
            marked.append(code)
        elif needed is None and not norm[:1].isupper():  # a capitalised word may be a name
            alphabet_only.append(code)
    return marked, alphabet_only
