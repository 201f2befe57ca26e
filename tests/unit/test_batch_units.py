"""Batch logic without a cluster: markers, cutting text, JSON paths, inputs, shards, manifest."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest

from duta.batch.formats import FormatError, FormatOptions, format_for
from duta.batch.formats.jsonfmt import parse_field
from duta.batch.formats.markers import APP_PLACEHOLDERS, distribute, mask
from duta.batch.inputs import InputError, discover
from duta.batch.manifest import (
    STATE_DIR,
    TEMP_MARK,
    Entry,
    Manifest,
    atomic_write,
    remove_leftovers,
    sha256,
    temp_dir,
)
from duta.batch.progress import Progress
from duta.batch.sharding import Shard, shard_from


def test_placeholders_are_masked_and_always_restored() -> None:
    masked = mask(
        "Hi %(user)s, {count} new <b>items</b>, 50% off, {{n}} %1$d %s at https://x.org/{id}",
        APP_PLACEHOLDERS,
    )
    assert masked.pieces == (
        "%(user)s",
        "{count}",
        "<b>",
        "</b>",
        "{{n}}",
        "%1$d",
        "%s",
        "https://x.org/",
        "{id}",
    )
    assert "%" in masked.text  # "50% off" is prose, not a placeholder
    restored = masked.unmask("X ⟦3⟧Y⟦4⟧ ⟦1⟧ ⟦1⟧")  # reordered, duplicated, some dropped
    for piece in masked.pieces:
        assert restored.count(piece) == 1


@pytest.mark.parametrize(
    ("text", "weights"),
    [
        ("one two three four five six", [3, 3, 6]),
        ("今天天气很好我们去公园散步", [2, 5]),
        ("a b", [1, 1]),
    ],
)
def test_distribute_keeps_every_character_and_the_part_count(text, weights) -> None:
    parts = distribute(text, weights)
    assert len(parts) == len(weights) and "".join(parts) == text
    lines = distribute(text, weights, lines=True)
    assert len(lines) == len(weights) and all(lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_distribute_never_cuts_inside_a_marker() -> None:
    for cut_at in range(1, 12):
        parts = distribute("ab⟦12⟧cdefgh", [cut_at, 12 - cut_at])
        assert all(p.count("⟦") == p.count("⟧") for p in parts)


def test_json_field_specs() -> None:
    assert parse_field("title") == ("**", "title")
    assert parse_field("$.title") == ("title",)
    assert parse_field("$.items[*].title") == ("items", "*", "title")
    assert parse_field("menu.items[2]") == ("menu", "items", 2)
    data = b'{"a": {"title": "Deep title"}, "items": [{"title": "First"}, {"t": "x y"}]}'
    by_name = format_for(Path("x.json")).extract(data, FormatOptions("ja", ("title",)))
    assert [s.text for s in by_name.segments] == ["Deep title", "First"]
    anchored = format_for(Path("x.json")).extract(data, FormatOptions("ja", ("$.items[*].title",)))
    assert [s.text for s in anchored.segments] == ["First"]
    rooted = format_for(Path("x.json")).extract(data, FormatOptions("ja", ("$.title",)))
    assert rooted.segments == []  # no title at the root
    listed = b'{"tags": ["Red apple", ["Green pear"]], "tag": "x", "home": "https://x.org"}'
    by_list = format_for(Path("x.json")).extract(listed, FormatOptions("ja", ("tags",)))
    assert [s.text for s in by_list.segments] == ["Red apple", "Green pear"]
    every = format_for(Path("x.json")).extract(data, FormatOptions("ja"))  # a nested i18n file
    assert [s.text for s in every.segments] == ["Deep title", "First", "x y"]
    bare_url = format_for(Path("x.json")).extract(listed, FormatOptions("ja"))
    assert [s.text for s in bare_url.segments] == ["Red apple", "Green pear", "x"]
    rendered = anchored.render(["Erste"]).decode()
    assert json.loads(rendered)["items"][0]["title"] == "Erste"
    assert rendered.replace("Erste", "First") == data.decode()


def test_unknown_extensions_are_not_guessed(tmp_path) -> None:
    assert format_for(tmp_path / "a.rtf") is None and format_for(tmp_path / "A.MD") is not None


def test_discover_mirrors_directories_and_globs(tmp_path) -> None:
    (tmp_path / "in" / "deep").mkdir(parents=True)
    for name in ("a.txt", "deep/b.md", ".hidden.txt", "deep/c.srt"):
        (tmp_path / "in" / name).write_text("x")
    (tmp_path / "in" / "out").mkdir()
    (tmp_path / "in" / "out" / "old.txt").write_text("x")
    found = discover([str(tmp_path / "in")], exclude=tmp_path / "in" / "out")
    assert [f.relative for f in found] == ["a.txt", "deep/b.md", "deep/c.srt"]
    globbed = discover([str(tmp_path / "in" / "**" / "*.md"), str(tmp_path / "in" / "a.txt")])
    assert [f.relative for f in globbed] == ["a.txt", "deep/b.md"]
    with pytest.raises(InputError, match="inside the output directory"):
        discover([str(tmp_path / "in" / "deep")], exclude=tmp_path / "in")
    with pytest.raises(InputError, match="matches no file"):
        discover([str(tmp_path / "missing")])
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "a.txt").write_text("y")
    with pytest.raises(InputError, match="both be written"):
        discover([str(tmp_path / "in"), str(tmp_path / "other")])


def test_shards_partition_any_listing() -> None:
    names = [f"dir{i % 7}/file{i}.txt" for i in range(500)]
    for count in (1, 2, 3, 8):
        owners = [[s for s in range(count) if Shard(s, count).owns(n)] for n in names]
        assert all(len(o) == 1 for o in owners)
        sizes = [sum(o == [s] for o in owners) for s in range(count)]
        assert min(sizes) > 500 / count * 0.6  # balanced enough


def test_shard_defaults_come_from_the_indexed_job_environment() -> None:
    assert shard_from(None, None, {}) == Shard(0, 1)
    assert shard_from(None, None, {"JOB_COMPLETION_INDEX": "2", "JOB_COMPLETIONS": "5"}) == Shard(
        2, 5
    )
    assert shard_from(1, 3, {"JOB_COMPLETION_INDEX": "2", "JOB_COMPLETIONS": "5"}) == Shard(1, 3)
    with pytest.raises(ValueError, match="shard index must be in 0–0"):
        shard_from(None, None, {"JOB_COMPLETION_INDEX": "3"})


def test_manifest_skips_only_intact_finished_outputs(tmp_path) -> None:
    out = tmp_path / "out"
    atomic_write(out / "a.txt", b"translated", owner="0-of-2", temp=temp_dir(out))
    assert sorted(p.name for p in out.iterdir()) == [STATE_DIR, "a.txt"]
    assert not list(temp_dir(out).iterdir())
    assert oct(os.stat(out / "a.txt").st_mode & 0o777) != "0o600"
    manifest = Manifest(out, "0-of-2")
    manifest.record(Entry("a.txt", "in1", "s1", sha256(b"translated"), 1, 5))
    with manifest.path.open("a") as handle:
        handle.write('{"relative": "cut by a ki')  # a line cut by SIGKILL
    again = Manifest(out, "1-of-2")  # every shard's manifest is read
    assert again.finished("a.txt", "in1", "s1", out / "a.txt")
    assert not again.finished("a.txt", "in2", "s1", out / "a.txt")  # input changed
    assert not again.finished("a.txt", "in1", "s2", out / "a.txt")  # settings changed
    (out / "a.txt").write_bytes(b"edited by hand")
    assert not again.finished("a.txt", "in1", "s1", out / "a.txt")
    (temp_dir(out) / f".b.txt{TEMP_MARK}0-of-2-xyz").write_bytes(b"partial")
    (temp_dir(out) / f".c.txt{TEMP_MARK}1-of-2-xyz").write_bytes(b"another shard's, in progress")
    assert remove_leftovers(out, "0-of-2") == 1
    assert (temp_dir(out) / f".c.txt{TEMP_MARK}1-of-2-xyz").exists()


def test_progress_bar_on_a_terminal_and_log_lines_elsewhere() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        progress = Progress(2, "auto", stream=stream, interval=0)
        progress.add_segments(10, 400)
        progress.file_done()
        progress.file_done()
        progress.close()
    bar = terminal.getvalue()  # files, elapsed<ETA, segments/s, characters
    assert re.search(r"2/2 \[\d\d:\d\d<\d\d:\d\d, .*seg/s, 400 chars\]", bar), bar
    lines = pipe.getvalue().splitlines()
    assert lines[-1].startswith("duta batch: 2/2 files, 10 segments, 400 characters")
    assert "\r" not in pipe.getvalue() and "eta" in lines[0]
    assert len(lines) == 4  # interval 0: a line at every event, and the last one
    quiet = io.StringIO()
    progress = Progress(2, "log", stream=quiet, interval=3600)
    progress.add_segments(10, 400)
    progress.file_done()
    progress.close()
    assert len(quiet.getvalue().splitlines()) == 1  # only the closing line within the hour


def test_report_summary_table_and_json() -> None:
    from duta.batch.report import FileResult, JobReport

    report = JobReport("router:50051", "ja", "", elapsed_seconds=2.0, retries=3)
    report.files = [
        FileResult(
            "a.md", "ok", "markdown", segments=6, characters=300, sentences=8, cached_sentences=6
        ),
        FileResult("b.txt", "skipped", "text"),
        FileResult("c.docx", "failed", "docx", error="DOCX could not be opened (BadZipFile)"),
        FileResult("d.rtf", "unsupported", error="unsupported extension '.rtf'"),
    ]
    data = report.to_dict()
    assert data["files"] == {"ok": 1, "failed": 1, "skipped": 1, "unsupported": 1}
    assert (data["segments"], data["characters"], data["cache_hit_rate"]) == (6, 300, 0.75)
    assert (data["segments_per_second"], data["elapsed_seconds"], data["retries"]) == (3.0, 2, 3)
    assert [e["file"] for e in data["errors"]] == ["c.docx", "d.rtf"]
    table = report.summary().splitlines()
    assert table[0].split() == ["status", "files", "segments", "characters"]
    assert table[2].split() == ["ok", "1", "6", "300"] and table[4].split()[:2] == ["failed", "1"]
    assert "cache hit rate 75.0%" in table[6] and "c.docx: DOCX could not be opened" in table[7]


def test_a_long_paragraph_is_cut_at_line_breaks_and_put_back_exactly() -> None:
    from duta.batch.formats import text

    lines = [f"Line {n} of a long log file without blank lines." for n in range(400)]
    source = "\n".join(lines) + "\n"
    extracted = text.extract(source.encode(), FormatOptions("ja"))
    assert len(extracted.segments) > 1
    assert all(len(s.text) <= text.MAX_SEGMENT_CHARS + 100 for s in extracted.segments)
    assert extracted.render([s.text for s in extracted.segments]).decode() == source
    translated = extracted.render(["X"] * len(extracted.segments)).decode()
    assert translated.count("\n") == len(extracted.segments)  # one break between chunks


def test_office_runs_follow_the_markers_or_share_the_text(tmp_path) -> None:
    import docx

    from duta.batch.formats import docx as docx_format
    from tests.data.batch.office import build_docx

    data = build_docx(tmp_path / "in.docx").read_bytes()
    options = FormatOptions("ja")

    def runs(rendered: bytes) -> list[tuple[str, bool | None]]:
        paragraph = docx.Document(io.BytesIO(rendered)).paragraphs[1]
        return [(r.text, r.bold) for r in paragraph.runs if r.text]  # the footnote mark aside

    kept = docx_format.extract(data, options)  # a model that keeps the markers in order
    by_markers = runs(kept.render([s.text.upper() for s in kept.segments]))
    assert by_markers[1] == ("GREEN POWER BUTTON", True)
    assert [t for t, _ in by_markers] == [
        "PRESS THE ",
        "GREEN POWER BUTTON",
        " AND WAIT UNTIL THE ",
        "STATUS LIGHT",
        " STOPS BLINKING.",
    ]
    dropped = docx_format.extract(data, options)  # markers lost: text spread by length
    sentence = "one two three four five six seven eight nine ten"
    spread = runs(dropped.render([sentence] * len(dropped.segments)))
    assert "".join(t for t, _ in spread) == sentence
    assert [b for _, b in spread] == [b for _, b in by_markers] and all(t for t, _ in spread)


def test_long_html_is_cut_only_where_no_untranslated_element_is_open() -> None:
    from duta.batch.formats import html

    block = "<p>Paragraph of prose number {n} with <b>bold</b> words.</p>\n"
    pre = "<pre>\n" + "code line that must stay\n" * 600 + "</pre>\n"
    document = "<html><body>\n" + "".join(block.format(n=n) for n in range(300)) + pre
    document += "".join(block.format(n=n) for n in range(300, 500)) + "</body></html>\n"
    extracted = html.extract(document.encode(), FormatOptions("ja"))
    assert len(extracted.segments) > 2 and all(s.html for s in extracted.segments)
    assert extracted.render([s.text for s in extracted.segments]).decode() == document
    assert sum(pre in s.text for s in extracted.segments) == 1  # the <pre> is never cut


def test_po_is_edited_in_place_line_endings_and_all() -> None:
    from duta.batch.formats import po

    source = (
        'msgid "Close the window"\r\nmsgstr ""\r\n\r\n'
        '#| msgid "Old text"\r\nmsgid "One %s file"\r\nmsgid_plural "%d files"\r\nmsgstr[0] ""'
    )
    extracted = po.extract(source.encode(), FormatOptions("ko"))
    assert [s.text for s in extracted.segments] == ["Close the window", "One ⟦1⟧ file", "⟦1⟧ files"]
    rendered = extracted.render(["Fenster\nschliessen", "Eine ⟦1⟧ Datei", "⟦1⟧ Dateien"]).decode()
    assert rendered == (
        'msgid ""\r\nmsgstr ""\r\n"Language: ko\\n"\r\n\r\n'  # a header was missing
        'msgid "Close the window"\r\nmsgstr ""\r\n"Fenster\\n"\r\n"schliessen"\r\n\r\n'
        '#| msgid "Old text"\r\nmsgid "One %s file"\r\nmsgid_plural "%d files"\r\n'
        'msgstr[0] "Eine %s Datei"\r\nmsgstr[1] "%d Dateien"'  # no final newline, as given
    )
    with pytest.raises(FormatError, match=r"PO file does not parse \(line 3\)"):
        po.extract(b'msgid "a"\nmsgstr ""\nmsgid', FormatOptions("ko"))


def test_retries_back_off_exponentially_on_overload_and_outage_only() -> None:
    import asyncio
    import random

    import grpc

    from duta.batch.transport import RetryPolicy, RouterTransport, TranslateFailed
    from duta.client import DutaRpcError

    random.seed(7)
    policy = RetryPolicy(initial_seconds=0.2, max_seconds=1.0)
    ceilings = [max(policy.delay(n) for _ in range(300)) for n in (1, 2, 3, 4, 8)]
    assert ceilings[0] <= 0.2 < ceilings[1] <= 0.4 < ceilings[2] <= 0.8 < ceilings[3] <= 1.0
    assert 0.8 < ceilings[4] <= 1.0  # capped
    assert policy.delay(1, asked=3.0) == 3.0  # the router's RetryInfo delay is honoured

    async def attempts(codes: list[grpc.StatusCode]) -> tuple[int, int, str]:
        transport = RouterTransport("127.0.0.1:1", retry=RetryPolicy(4, initial_seconds=0.001))
        answers = iter(codes)
        calls = 0

        async def once() -> str | DutaRpcError:
            nonlocal calls
            calls += 1
            code = next(answers, None)
            return "answer" if code is None else DutaRpcError(code, "refused")

        try:
            result = await transport._retrying(once)
        except TranslateFailed as exc:
            result = exc.message
        await transport.close()
        return calls, transport.retries, result

    busy, down = grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE
    assert asyncio.run(attempts([busy, down, busy])) == (4, 3, "answer")
    assert asyncio.run(attempts([busy] * 9)) == (4, 3, "after 4 attempts: refused")
    assert asyncio.run(attempts([grpc.StatusCode.INVALID_ARGUMENT])) == (1, 0, "refused")


def test_xliff_protects_app_placeholders_and_escaped_tags() -> None:
    from duta.batch.formats import xliff

    source = (
        '<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2"><file '
        'source-language="en" datatype="plaintext" original="a"><body><trans-unit id="n">'
        "<source>Hi {name}, %s has {{count}} &lt;b&gt;new&lt;/b&gt; items</source>"
        "</trans-unit></body></file></xliff>"
    )
    extracted = xliff.extract(source.encode(), FormatOptions("ja"))
    assert [s.text for s in extracted.segments] == ["Hi ⟦1⟧, ⟦2⟧ has ⟦3⟧ ⟦4⟧new⟦5⟧ items"]
    rendered = extracted.render(["A ⟦1⟧ B ⟦2⟧ ⟦3⟧ ⟦4⟧C⟦5⟧ & D"]).decode()
    assert "<target " in rendered and (
        ">A {name} B %s {{count}} &lt;b&gt;C&lt;/b&gt; &amp; D</target>" in rendered
    )
