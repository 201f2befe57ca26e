"""`duta batch translate` on a fixture of every format, against a real router and workers.

The demo models write random text, so the checks are structural: every byte that is not prose
comes back identical, and every prose part is replaced.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile

import polib
import pytest
from lxml import etree

from duta.text.html import split_html
from tests.data.batch.office import build_docx, build_pptx
from tests.integration.batch_cluster import DOCS, batch_router, run_job

FIELDS = "title,body,$.menu.*,$.menu.items[*]"


@pytest.fixture(scope="module")
def job(loop_thread, workers, redis_server, tmp_path_factory):
    """One job over every format, plus a corrupt DOCX, bad UTF-8 and an unknown extension."""
    root = tmp_path_factory.mktemp("batch-formats")
    docs = root / "in"
    shutil.copytree(DOCS, docs)
    (docs / "office").mkdir()
    build_docx(docs / "office" / "handbook.docx")
    build_pptx(docs / "office" / "results.pptx")
    (docs / "office" / "broken.docx").write_bytes(b"PK\x03\x04 this is not a zip archive")
    (docs / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (docs / "data.xyz").write_text("unknown format")
    with batch_router(loop_thread, workers, redis_server.url) as address:
        status, report = run_job(address, [docs], root / "out", "--fields", FIELDS)
    return status, report, docs, root / "out"


def _pair(job, name: str) -> tuple[str, str]:
    _, _, docs, out = job
    return (docs / name).read_text(encoding="utf-8"), (out / name).read_text(encoding="utf-8")


def test_failures_are_isolated_and_reported(job) -> None:
    status, report, _, out = job
    assert status == 1  # some files failed
    assert report["files"] == {"ok": 12, "failed": 2, "skipped": 0, "unsupported": 1}
    errors = {e["file"]: e["error"] for e in report["errors"]}
    assert "DOCX could not be opened" in errors["office/broken.docx"]
    assert "not valid UTF-8" in errors["latin1.txt"]
    assert "unsupported extension '.xyz'" in errors["data.xyz"]
    assert not (out / "office" / "broken.docx").exists() and not (out / "latin1.txt").exists()
    assert report["segments"] > 40 and report["demo_output"] is True
    assert report["characters"] > 1000 and report["elapsed_seconds"] > 0
    assert 0 <= report["cache_hit_rate"] <= 1 and report["sentences"] >= report["segments"]
    assert len(report["per_file"]) == 15


def test_plain_text_keeps_paragraph_breaks(job) -> None:
    source, output = _pair(job, "notes.txt")
    breaks = re.compile(r"(\n[ \t]*\n\s*)")
    src, out = breaks.split(source), breaks.split(output)
    assert src[1::2] == out[1::2]  # the separators, byte for byte
    for before, after in zip(src[0::2], out[0::2], strict=True):
        assert after != before and after.strip()
        assert (
            after[: len(after) - len(after.lstrip())]
            == before[: len(before) - len(before.lstrip())]
        )


def test_markdown_keeps_code_links_front_matter_and_containers(job) -> None:
    source, output = _pair(job, "guide.md")
    src, out = source.split("\n"), output.split("\n")
    assert len(src) == len(out)
    changed = 0
    for before, after in zip(src, out, strict=True):
        prose = re.sub(r"^(#+ |> |- |\| )", "", before)
        if before.startswith(("title:", "tags:", "---", "```", "print(", "<div", "[ref]:", "|--")):
            assert after == before
        elif prose.strip() and any(c.isalpha() for c in prose):
            assert after != before
            assert after[: len(before) - len(prose)] == before[: len(before) - len(prose)]
            changed += 1
    assert changed >= 10
    assert output.count("[x]") == 1 and output.count("\\|") == 1  # task mark, escaped pipe
    for kept in (
        "`README.md`",
        '](https://example.com/manual?id=7 "Manual")',
        "<https://example.org/path>",
        "**",
    ):
        assert kept in output


def test_html_keeps_markup_and_untranslated_elements(job) -> None:
    source, output = _pair(job, "page.html")
    src, out = split_html(source), split_html(output)
    assert [c.raw for c in src if c.text is None] == [c.raw for c in out if c.text is None]
    assert "keep   this    code" in output and "Brand Name Inc." in output
    assert 'var greeting = "do not translate";' in output
    assert "Release notes" not in output and "Download the new version" not in output


@pytest.mark.parametrize("name", ["movie.srt", "sub/captions.vtt"])
def test_subtitles_keep_timings_and_line_count(job, name) -> None:
    source, output = _pair(job, name)
    src, out = source.split("\n"), output.split("\n")
    assert len(src) == len(out)
    cue_lines = 0
    for index, (before, after) in enumerate(zip(src, out, strict=True)):
        timing = any("-->" in line for line in src[max(0, index - 2) : index])
        if "-->" in before or before.isdigit() or not before or not timing:
            assert after == before
        else:
            assert after != before
            cue_lines += 1
    assert cue_lines >= 3
    per_file = {f["relative"]: f["segments"] for f in job[1]["per_file"]}
    assert per_file[name] == (3 if name.endswith("srt") else 2)  # a multi-line cue: one segment
    assert "<i>" in output and "</i>" in output if name.endswith("srt") else "<v Roger>" in output


def test_po_fills_msgstr_and_keeps_everything_else(job) -> None:
    source, output = _pair(job, "sub/messages.po")

    def skeleton(text: str) -> str:  # the file with every msgstr line emptied
        return re.sub(r'^(msgstr(?:\[\d\])?) ".*"$', r'\1 ""', text, flags=re.M)

    # Byte for byte but the msgstr lines and the header's new Language (wrapping, order,
    # comments, previous msgids and obsolete entries included).
    assert skeleton(output.replace('"Language: ja\\n"\n', "", 1)) == skeleton(source)
    before, after = polib.pofile(source), polib.pofile(output)
    assert after.metadata["Language"] == "ja" and len(before) == len(after)
    assert [e.msgstr for e in after.obsolete_entries()] == ["Eine entfernte Zeichenkette"]
    greeting, plural, fuzzy, menu, long, wrapped = (e for e in after if not e.obsolete)
    assert greeting.msgstr and greeting.msgstr != greeting.msgid and "%(name)s" in greeting.msgstr
    assert plural.msgstr_plural[0] and "%d" in plural.msgstr_plural[1]
    assert fuzzy.msgstr == "Old fuzzy translation" and "fuzzy" in fuzzy.flags
    assert "<b>" in menu.msgstr and "</b>" in menu.msgstr
    assert long.msgstr and wrapped.msgstr and long.previous_msgid


@pytest.mark.parametrize("name", ["sub/strings.xlf", "sub/strings20.xliff"])
def test_xliff_fills_targets_with_inline_tags(job, name) -> None:
    source, output = _pair(job, name)

    def skeleton(text: str) -> str:
        text = re.sub(r"\s*<target\b[^>]*?(/>|>.*?</target>)", "", text, flags=re.S)
        return re.sub(r' (target-language|trgLang|state|state-qualifier)="[^"]*"', "", text)

    def own_target(unit: etree._Element) -> etree._Element | None:
        return unit.find("{*}target")  # a child: <alt-trans> matches are not the unit's

    assert skeleton(output) == skeleton(source)
    root = etree.fromstring(output.encode())
    units = list(root.iter("{*}trans-unit" if name.endswith(".xlf") else "{*}segment"))
    filled = {u.get("id"): own_target(u) for u in units if own_target(u) is not None}
    wanted = {"greeting", "save", "report"} if name.endswith(".xlf") else {"s1", "s2", "s3"}
    assert set(filled) == wanted
    for target in filled.values():
        src = target.getparent().find("{*}source")
        assert "".join(target.itertext()) != "".join(src.itertext())
        assert [c.tag for c in target] == [c.tag for c in src]  # inline codes kept
        marks = [[(m.attrib, m.text) for m in e.iter("{*}mrk")] for e in (target, src)]
        assert marks[0] == marks[1]  # a translate="no" mark, its text included
    if name.endswith(".xlf"):
        assert "<target>Imprimez le rapport hebdomadaire.</target>" in output  # a TM match
        assert '<!-- <trans-unit id="old"><source>A unit commented out</source>' in output
        assert {t.get("state") for t in filled.values()} == {"needs-review-translation"}
        assert root.find(".//{*}file").get("target-language") == "ja"
    else:
        assert {s.get("id"): s.get("state") for s in units} == {
            "s1": "translated",
            "s2": "translated",
            "s3": "translated",
            "s4": None,
        }
        assert root.get("trgLang") == "ja"


@pytest.mark.parametrize("name", ["app.json", "records.jsonl"])
def test_json_only_named_fields_change(job, name) -> None:
    source, output = _pair(job, name)
    strings = re.compile(r'"(?:[^"\\]|\\.)*"')
    assert strings.sub('""', source) == strings.sub('""', output)  # keys, numbers, layout
    lines = (
        [
            (json.loads(a), json.loads(b))
            for a, b in zip(source.splitlines(), output.splitlines(), strict=True)
        ]
        if name.endswith("l")
        else [(json.loads(source), json.loads(output))]
    )
    for before, after in lines:
        if "menu" in before:
            assert after["menu"]["open"].endswith("{name}") or "{name}" in after["menu"]["open"]
            assert "{{count}}" in after["menu"]["count"]
            assert all(
                a != b for a, b in zip(after["menu"]["items"], before["menu"]["items"], strict=True)
            )
            assert after["id"] == before["id"] and after["version"] == 3
        else:
            assert after["title"] != before["title"] and after["body"] != before["body"]
            assert (after["id"], after["lang"]) == (before["id"], before["lang"])


def _blanked(xml: bytes, text_tag: str) -> bytes:
    root = etree.fromstring(xml)
    for element in root.iter(text_tag):
        element.text = ""
        element.attrib.pop("{http://www.w3.org/XML/1998/namespace}space", None)
    return etree.tostring(root)


@pytest.mark.parametrize(
    ("name", "text_tag", "parts"),
    [
        (
            "office/handbook.docx",
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t",
            4,  # document, header, footer, footnotes
        ),
        ("office/results.pptx", "{http://schemas.openxmlformats.org/drawingml/2006/main}t", 2),
    ],
)
def test_office_documents_keep_runs_tables_and_parts(job, name, text_tag, parts) -> None:
    _, _, docs, out = job
    before, after = zipfile.ZipFile(docs / name), zipfile.ZipFile(out / name)
    assert sorted(before.namelist()) == sorted(after.namelist())
    changed = [n for n in before.namelist() if before.read(n) != after.read(n)]
    assert len(changed) == parts  # the text parts: no other part of the package changes
    for member in changed:
        assert _blanked(before.read(member), text_tag) == _blanked(after.read(member), text_tag)
        texts_before = [t.text for t in etree.fromstring(before.read(member)).iter(text_tag)]
        texts_after = [t.text for t in etree.fromstring(after.read(member)).iter(text_tag)]
        for b, a in zip(texts_before, texts_after, strict=True):
            if b and any(c.isalpha() for c in b) and len(b) > 3:
                assert a != b
            elif b and not any(c.isalpha() for c in b):
                assert a == b  # "12345" is not prose
