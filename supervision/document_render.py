"""Render a supervision document as Word (.docx) in the GB/T 9704 layout.

Only layout lives here: page margins, the red issuing-organ line, the document number, the
title, the addressee, the body paragraphs, the signature block and the copy-to line. What
the paragraphs say is decided by supervision.documents.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from dataclasses import field
from datetime import date

from docx import Document as new_docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm
from docx.shared import Pt
from docx.shared import RGBColor

# GB/T 9704-2012 §5.2 / §7: A4, margins 37/35/28/26 mm, title 2号 小标宋, body 3号 仿宋.
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TITLE_SIZE = Pt(22)
BODY_SIZE = Pt(16)
RED = RGBColor(0xC0, 0x00, 0x00)


@dataclass
class DocumentContent:
    organ: str  # 发文机关 (for the red line and the signature)
    doc_no: str
    title: str
    addressee: str | None
    paragraphs: list[str]
    signed_on: date
    cc: list[str] = field(default_factory=list)
    reference: str | None = None  # our case number, printed small at the end


def chinese_date(day: date) -> str:
    """2026年3月17日 (GB/T 9704 §7.3.5.1: Arabic digits, no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def _run(paragraph, text: str, *, font: str, size, bold: bool = False, color=None) -> None:
    run = paragraph.add_run(text)
    run.font.name = font
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    # python-docx sets only the Latin font; Word picks Chinese glyphs from eastAsia.
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)


def _paragraph(doc, text: str = "", *, font=BODY_FONT, size=BODY_SIZE, align=None, **kw):
    paragraph = doc.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.line_spacing = Pt(28)
    if text:
        _run(paragraph, text, font=font, size=size, **kw)
    return paragraph


def render_docx(content: DocumentContent) -> bytes:
    doc = new_docx()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    center = WD_ALIGN_PARAGRAPH.CENTER

    _paragraph(doc, content.organ, font=TITLE_FONT, size=Pt(26), align=center, color=RED)
    _paragraph(doc, content.doc_no, align=center)
    _paragraph(doc)
    _paragraph(doc, content.title, font=TITLE_FONT, size=TITLE_SIZE, align=center)
    _paragraph(doc)
    if content.addressee:
        _paragraph(doc, f"{content.addressee}：")
    for text in content.paragraphs:
        body = _paragraph(doc, text)
        body.paragraph_format.first_line_indent = Pt(32)
    _paragraph(doc)
    _paragraph(doc, content.organ, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(doc, chinese_date(content.signed_on), align=WD_ALIGN_PARAGRAPH.RIGHT)
    if content.cc:
        _paragraph(doc)
        _paragraph(doc, "抄送：" + "，".join(content.cc) + "。", size=Pt(14))
    if content.reference:
        _paragraph(doc, f"（案件编号：{content.reference}）", size=Pt(12))

    props = doc.core_properties
    props.title = content.title
    props.identifier = content.doc_no
    props.author = content.organ
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
