"""HTML splitting: markup verbatim, text nodes unescaped, no-translate zones kept."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from duta.text.html import split_html, visible_text


def test_markup_and_text_nodes() -> None:
    doc = '<p class="x">Hello &amp; <b>world</b>.</p><br/>Tail'
    chunks = split_html(doc)
    assert [c.text for c in chunks if c.text] == ["Hello & ", "world", ".", "Tail"]
    assert visible_text(chunks) == "Hello &  world . Tail"


def test_no_translate_zones() -> None:
    doc = (
        "<script>var a = '你好';</script><style>p{}</style><code>x()</code>"
        '<div class="a notranslate">Brand <span>Name</span> Inc</div>'
        '<span translate="no">Keep <span>this</span> too</span>After'
    )
    assert [c.text for c in split_html(doc) if c.text] == ["After"]


def test_comments_doctype_and_whitespace_only_nodes() -> None:
    doc = "<!DOCTYPE html>\n<!-- <p>not a tag</p> -->\n  <p>Text</p>\n"
    assert [c.text for c in split_html(doc) if c.text] == ["Text"]


@given(st.text(alphabet="<>/&;ab p=\"'!-\n", max_size=60))
def test_round_trip_is_exact(doc: str) -> None:
    assert "".join(c.raw for c in split_html(doc)) == doc
