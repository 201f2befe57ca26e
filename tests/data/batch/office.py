"""Builds the DOCX and PPTX fixtures in code (binary files are not committed).

Both hold what must survive translation: runs of different formatting inside one sentence,
a table, a tab and a line break, headers and footers (DOCX), a table and speaker notes (PPTX).
"""

from __future__ import annotations

from pathlib import Path

import docx
import pptx
from docx.shared import Pt
from pptx.util import Inches


def build_docx(path: Path, note: str = "") -> Path:
    """A Word document with formatted runs, a table, a header and a footer.

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
    return path


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
