"""Builds the DOCX and PPTX fixtures in code (binary files are not committed).

Both hold what must survive translation: runs of different formatting inside one sentence,
a table, a tab and a line break, headers, footers and a footnote (DOCX), a table and speaker
notes (PPTX).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pptx
from docx.oxml import parse_xml
from docx.shared import Pt
from pptx.util import Inches

_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_FOOTNOTES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:footnotes {_W}>
<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>
<w:footnote w:id="1"><w:p><w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteRef/>\
</w:r><w:r><w:t xml:space="preserve"> The manual explains every light in detail.</w:t></w:r></w:p>\
</w:footnote></w:footnotes>"""
_FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_FOOTNOTES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"


def build_docx(path: Path, note: str = "") -> Path:
    """A Word document with formatted runs, a table, a header, a footer and a footnote.

    `note` is appended to the first body paragraph (benchmarks make each copy differ).
    """
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Company confidential handbook"
    document.sections[0].footer.paragraphs[0].text = "Printed copies are not controlled."
    document.add_heading("Getting started with the printer", level=1)
    paragraph = document.add_paragraph("Press the ")
    bold = paragraph.add_run("green power button")
    bold.bold = True
    paragraph.add_run(" and wait until the ")
    italic = paragraph.add_run("status light")
    italic.italic = True
    italic.font.size = Pt(14)
    paragraph.add_run(" stops blinking." + note)
    paragraph._p.append(  # a footnote mark; the footnote itself is added below
        parse_xml(
            f'<w:r {_W}><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
            '<w:footnoteReference w:id="1"/></w:r>'
        )
    )
    broken = document.add_paragraph("Name:\tvalue after a tab")
    broken.add_run().add_break()
    broken.add_run("A second line after a break.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Problem"
    table.cell(0, 1).text = "Solution"
    table.cell(1, 0).text = "The paper is jammed"
    table.cell(1, 1).text = "Open the back cover carefully"
    document.add_paragraph("12345")  # no prose: kept as it is
    document.save(path)
    _add_footnotes(path)
    return path


def _add_footnotes(path: Path) -> None:
    """Adds the footnotes part (python-docx writes no footnotes) to a saved document."""
    with zipfile.ZipFile(path) as package:
        members = {name: package.read(name) for name in package.namelist()}
    types = members["[Content_Types].xml"].decode()
    override = f'<Override PartName="/word/footnotes.xml" ContentType="{_FOOTNOTES_TYPE}"/>'
    members["[Content_Types].xml"] = types.replace("</Types>", override + "</Types>").encode()
    rels = members["word/_rels/document.xml.rels"].decode()
    rel = f'<Relationship Id="rIdNotes1" Type="{_FOOTNOTES_REL}" Target="footnotes.xml"/>'
    members["word/_rels/document.xml.rels"] = rels.replace(
        "</Relationships>", rel + "</Relationships>"
    ).encode()
    members["word/footnotes.xml"] = _FOOTNOTES.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            package.writestr(name, data)
    docx.Document(str(path)).save(str(path))  # the package as python-docx writes it


def build_pptx(path: Path, note: str = "") -> Path:
    """A deck with a title, a text box of formatted runs, a table and speaker notes.

    `note` is appended to the text box's first paragraph.
    """
    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    slide.shapes.title.text = "Quarterly results overview"
    box = slide.shapes.add_textbox(Inches(1), Inches(2), Inches(6), Inches(1)).text_frame
    first = box.paragraphs[0]
    run = first.add_run()
    run.text = "Revenue grew by "
    strong = first.add_run()
    strong.text = "twelve percent"
    strong.font.bold = True
    tail = first.add_run()
    tail.text = " compared with last year." + note
    second = box.add_paragraph()
    second.text = "Costs stayed flat."
    shape = slide.shapes.add_table(2, 2, Inches(1), Inches(4), Inches(6), Inches(1))
    cells = shape.table
    cells.cell(0, 0).text = "Region"
    cells.cell(0, 1).text = "Growth"
    cells.cell(1, 0).text = "North region"
    cells.cell(1, 1).text = "Strong demand this quarter"
    slide.notes_slide.notes_text_frame.text = "Mention the new customers in the north."
    deck.save(path)
    return path
