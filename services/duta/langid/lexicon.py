"""Marker words of close language groups, used to re-weight fastText's scores.

Each list holds frequent function words and everyday words that one member of a group uses
and its neighbours do not (or spell differently): Indonesian ``uang/karena/bisa`` vs Malay
``wang/kerana/boleh``; Marathi ``आहे/आणि/नाही`` vs Nepali ``छ/र/छैन`` vs Hindi ``है/और/नहीं``;
Tagalog ``ng/hindi/ito`` vs Cebuano ``ug/dili/kini``; Urdu ``ہے/کے`` vs Persian ``است/را``
vs Arabic ``في/الذي``; Azerbaijani ``və/üçün`` vs Turkish ``ve/için``; Kazakh ``және/бұл``
and Mongolian ``байна/энэ`` vs Russian ``это/что``. Written from grammars and dictionaries,
not from the evaluation data; the Indonesian/Malay lists were extended (2026-11-28) with
standard-vocabulary pairs of software text (``sandi/kata laluan``, ``berkas/fail``,
``berhasil/berjaya``, ``hapus/padam``, ``tautan/pautan``) after reading the errors on dev.tsv,
and the Kazakh list (2026-12-03) with ``тілі`` ("language of": Kazakh language names such as
``валлий тілі`` were Ukrainian; dev.tsv: Kazakh +3.3, nothing lost); Urdu against Punjabi in
Shahmukhi (fastText's ``pnb``, which it reads into short Urdu: Urdu ``کچھ/دیا/کرتے`` vs
Punjabi ``کجھ/دتا/کردے``, Punjabi ``نوں/وچ/تے/نال``; dev.tsv: Urdu +2 texts, nothing lost).
Texts of up to three words also get the votes of word lists (:mod:`duta.langid.dictionaries`:
a word only Tagalog's, Mongolian's, Marathi's... list knows).
"""

from __future__ import annotations

import re

from duta.langid.dictionaries import known_votes

__all__ = ["GROUPS", "RIVALS", "word_votes"]

_MARKERS: dict[str, str] = {
    "id": """bisa uang karena mobil kantor polisi gratis nggak gak enggak banget kok dong sih deh
        udah gimana bilang kayak ketemu sepeda apotek desember agustus maret juni juli kualitas
        universitas komunitas aktivitas fasilitas pemerintah harus butuh mau coba silakan jelek
        kemarin besok teman pacar handuk telepon kulkas dokter liburan ponsel berbicara ngomong
        kalian merupakan berbeda provinsi kabupaten kecamatan gampang sulit bagian kota toko bus
        pesawat bandara kamar menit detik nol delapan persen yaitu paham pikir pikiran rapat
        kursi perusahaan pria proyek laki-laki anak-anak sandi galat berkas hapus dihapus
        menghapus penghapusan setel fitur tipe terkait tanggal unggah unduh tautan tampilan
        ditampilkan pengaturan perbarui diperbarui kolom surel kode nomor berhasil ditemukan
        menemukan saring dikirim kirim mengirim grup desimal komplet mulai memulai dimulai
        informasi jendela perangkat pencarian sembarang""",
    "ms": """boleh sahaja kerana wang kereta pejabat polis percuma mahu nak tak awak cuba sila jom
        kawan bilik kedai bandar bas minit lapan peratus berbeza bahagian kerajaan universiti
        kualiti aktiviti komuniti doktor telefon basikal esok sukar hodoh bercakap disember ogos
        mac julai jun baharu pelbagai iaitu ialah dah faham fikir fikiran mesyuarat kerusi
        jawatan syarikat lelaki kanak-kanak budak rakan projek menerusi berkenaan mencuba amat
         hendak  negeri tuan puan encik cik tiada berjaya laluan fail tarikh senarai dijumpai
        adakah tahniah perpuluhan tapis hantar dihantar menghantar sekiranya samada ralat tetapan
        pautan paparan dipaparkan kemaskini padam memadam dipadam pemadaman semak kod pentadbir
        kumpulan pelayan e-mel perkataan nombor cipta aksara betul kandungan tatasusunan majlis
        ciri mulakan memulakan dimulakan maklumat sebarang tetingkap perisian carian ruangnama
        tersorok""",
    "fil": """ng hindi ito iyan iyon tayo po nang kasi rin din natin namin kanila mayroon meron
        paano saan bakit kailan sino ano maganda magandang araw gabi bahay kumain kain at dahil
        talaga ay   niyo kayo ninyo nila sakin akin ikaw isang lahat""",
    "ceb": """ug og nga dili kini kana mao gyud jud man usa akong imong iyang unsa asa kinsa
        kanus-a naa anaa adto diri didto kaayo pud sab bitaw karon ugma gahapon maayo daghan
        gamay dako balay adlaw gabii kaon mikaon buntag ingon  ato amo nimo nako""",
    "hi": """है हैं था थी थे और का की के में नहीं यह वह से को पर लिए भी रहा रही क्या हम आप मैं
        गया गई हुआ हुई जाता जाती करता करती करते होता होती जो  वे उस इस कुछ बहुत अपने""",
    "mr": """आहे आहेत होते होता होती आणि नाही हे ते मी तुम्ही आम्ही आपण मध्ये साठी पण खूप काय
        कसे कुठे झाले केले करणे आला आली त्याने त्या त्याचा तिचा माझा माझी माझे तू""",
    "ne": """छ छन्  र मा लाई हरू गर्न भएको पनि थियो हुन्छ थिए गरेको छैन म तिमी हामी उनी यो
        त्यो कसरी कहाँ धेरै राम्रो गर्छ गर्छु गर्नुहोस् हुनुहुन्छ भयो भने तर पछि""",
    "ur": """ہے ہیں کے کی کا میں اور نہیں یہ وہ سے کو پر لیے بھی تھا تھی کیا ہم آپ کہ گیا
        کچھ دیا کرتے کرنے کریں گئی گئے تھے رہا رہے کوئی ساتھ جب""",
    "pa-Arab": """نوں وچ تے ایہہ اوہ نئیں ہن کیتا ساڈا تہاڈا توں نال وی کجھ کردے دتا ہور دا""",
    "fa": """است هست این آن را که می برای از به با هم نیست بود شد کرد خواهد ما شما من او
        آنها چه چرا کجا خیلی خوب""",
    "ar": """في من على إلى التي الذي هذا هذه كان لا ما أن عن مع هو هي كل بعد قد""",
    "az": """və üçün deyil nə çox mən sən yox edir olur ilə kimi həm il necə harada""",
    "tr": """ve için değil ne çok ben sen yok ediyor oluyor ile gibi yıl nasıl nerede""",
    "kk": """және бұл жоқ емес үшін деп болып еді мен сен ол біз сіз олар бар қалай тілі""",
    "mn": """байна энэ тэр бид тэд болон гэж юм байсан бол нь чи би хийх сайн""",
    "ru": """и в не на я что он с как это по но они мы вы она так его все был для""",
}
# Word endings that mark a language (Devanagari case endings written onto the word).
_SUFFIXES: dict[str, tuple[str, ...]] = {
    "mr": ("च्या", "ाचा", "ाची", "ाचे", "मध्ये", "ांना", "साठी"),
    "hi": ("ें",),
    "ne": ("हरू", "हरु", "लाई", "ेको", "्छ", "्छन्", "ँछ"),
    "id": ("itas",),
    "ms": ("iti",),
}
# Verb and noun prefixes of Tagalog (Cebuano shares some; its marker words then decide).
_PREFIXES: dict[str, tuple[str, ...]] = {
    "fil": (
        "napaka",
        "pinaka",
        "nakaka",
        "makaka",
        "pinag",
        "ipag",
        "pagka",
        "magka",
        "nagka",
        "naka",
        "maka",
        "nag",
        "mag",
        "pag",
    ),
}
_WORDS: dict[str, dict[str, str]] = {}
for _code, _words in _MARKERS.items():
    for _word in _words.split():
        _WORDS.setdefault(_word, {})[_code] = _code
_LOOKUP: dict[str, tuple[str, ...]] = {w: tuple(codes) for w, codes in _WORDS.items()}
# \w does not match combining marks (Devanagari vowel signs, virama, Arabic harakat): without
# the Indic blocks and the marks, "नहीं" would be cut into "नह" and "ह".
_TOKEN = re.compile(r"[\w\u0900-\u0dff\u064b-\u065f\u0670\-]+")
_SCRIPT_GROUPS = {
    "Latn": ("id", "ms", "fil", "ceb", "az", "tr"),
    "Deva": ("hi", "mr", "ne"),
    "Arab": ("ur", "fa", "ar"),
    "Cyrl": ("kk", "mn", "ru"),
}
_WEIGHT = 3.0
GROUPS: tuple[frozenset[str], ...] = tuple(
    frozenset(g)
    for g in (
        ("id", "ms"),
        ("fil", "ceb"),
        ("az", "tr"),
        ("hi", "mr", "ne"),
        ("ur", "fa", "ar", "pa-Arab"),
        ("kk", "mn", "ru"),
    )
)
RIVALS: dict[str, frozenset[str]] = {code: group for group in GROUPS for code in group}


# Every suffix and prefix at once: most words have none, and one endswith() call says so.
_ANY_SUFFIX = tuple(end for ends in _SUFFIXES.values() for end in ends)
_ANY_PREFIX = tuple(pre for pres in _PREFIXES.values() for pre in pres)


def word_votes(text: str, script: str) -> dict[str, float]:
    """Multiplicative weights for languages whose marker words occur in ``text``."""
    group = _SCRIPT_GROUPS.get(script)
    if group is None:
        return {}
    votes: dict[str, int] = {}
    affixed = script in ("Deva", "Latn")
    tokens = _TOKEN.findall(text.lower())
    for token in tokens:
        codes = _LOOKUP.get(token)
        if (
            codes is None
            and affixed
            and len(token) > 4
            and (token.endswith(_ANY_SUFFIX) or token.startswith(_ANY_PREFIX))
        ):
            codes = tuple(c for c, ends in _SUFFIXES.items() if token.endswith(ends))
            codes = codes or tuple(c for c, pre in _PREFIXES.items() if token.startswith(pre))
        if codes and len(codes) == 1:
            votes[codes[0]] = votes.get(codes[0], 0) + 1
    if script == "Deva" and "ळ" in text:
        votes["mr"] = votes.get("mr", 0) + 1
    for code, n in known_votes(tokens, script).items():
        votes[code] = votes.get(code, 0) + n
    return {code: _WEIGHT ** min(n, 4) for code, n in votes.items()}
