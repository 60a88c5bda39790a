#!/usr/bin/env python3
"""Generate hostile upload fixtures for ingestion tests.

    pip install reportlab        # only needed for truncated.pdf
    python3 make_hostile.py      # writes the files next to this script

Files:
  truncated.pdf  valid text PDF cut off at 60% of its bytes (no xref/trailer)
  nested.pdf     PDF whose page tree holds an array nested 100,000 levels deep
                 and whose page /Resources holds a dictionary nested 100,000
                 levels deep (xref offsets are correct, so it parses "normally"
                 until the recursion)
  bomb.docx      zip with [Content_Types].xml, _rels/.rels and a
                 word/document.xml of 2,000,000,000 bytes (well-formed XML: one
                 paragraph whose text is ~2e9 "A"s) deflated to about 2 MB
  image.pdf      a real PNG image with a .pdf extension
  passwd.txt     plain text; tests upload it as "../../etc/passwd"

Output is deterministic. bomb.docx takes a few seconds to write (--no-bomb skips it).
"""

import io
import os
import struct
import sys
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ZIP_DATE = (2025, 3, 1, 9, 0, 0)


def out(name):
    return os.path.join(HERE, name)


# ---------------------------------------------------------------- truncated.pdf

def make_truncated_pdf():
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    ss = getSampleStyleSheet()
    story = [Paragraph("Parcelly label troubleshooting", ss["Heading1"])]
    for page in range(3):
        story.append(Paragraph("Section %d" % (page + 1), ss["Heading2"]))
        for i in range(6):
            story.append(Paragraph(
                "If the carrier rejects a label, check the recipient address, the "
                "parcel weight and the service limits, then buy the label again. "
                "Paragraph %d on page %d." % (i + 1, page + 1), ss["BodyText"]))
        story.append(PageBreak())
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=letter, title="Truncated", invariant=1).build(story)
    data = buf.getvalue()
    cut = data[: int(len(data) * 0.6)]
    with open(out("truncated.pdf"), "wb") as f:
        f.write(cut)
    return len(cut)


# ------------------------------------------------------------------- nested.pdf

def make_nested_pdf(depth=100_000):
    nested_array = b"[" * depth + b"0" + b"]" * depth
    nested_dict = b"<</A" * depth + b" 1" + b">>" * depth
    content = b"BT /F1 12 Tf 72 720 Td (Deeply nested) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 /Nested " + nested_array + b" >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> /Nested " + nested_dict + b" >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 %d\n" % (len(objects) + 1)
    pdf += b"0000000000 65535 f \n"
    for off in offsets:
        pdf += b"%010d 00000 n \n" % off
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    with open(out("nested.pdf"), "wb") as f:
        f.write(pdf)
    return len(pdf)


# -------------------------------------------------------------------- bomb.docx

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '</Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/>'
    '</Relationships>'
)


def make_bomb_docx(total=2_000_000_000):
    # One paragraph whose text node is a single repeated byte: deflate encodes
    # runs (match distance 1) at the maximum ratio of ~1030:1, whereas a longer
    # repeating pattern would need distance extra-bits and compress ~3x worse.
    prefix = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              b'<w:document xmlns:w="http://schemas.openxmlformats.org/'
              b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>')
    suffix = b"</w:t></w:r></w:p></w:body></w:document>"
    body_len = total - len(prefix) - len(suffix)
    chunk = b"A" * (1 << 20)

    def info(name):
        zi = zipfile.ZipInfo(name, date_time=ZIP_DATE)
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.external_attr = 0o644 << 16
        return zi

    with zipfile.ZipFile(out("bomb.docx"), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(info("[Content_Types].xml"), CONTENT_TYPES)
        z.writestr(info("_rels/.rels"), RELS)
        with z.open(info("word/document.xml"), "w") as f:
            f.write(prefix)
            left = body_len
            while left >= len(chunk):
                f.write(chunk)
                left -= len(chunk)
            f.write(chunk[:left])
            f.write(suffix)
    with zipfile.ZipFile(out("bomb.docx")) as z:
        declared = z.getinfo("word/document.xml").file_size
    assert declared == total, declared
    return os.path.getsize(out("bomb.docx"))


# -------------------------------------------------------------------- image.pdf

def make_png(width=32, height=32):
    def chunk(tag, data):
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter: none
        for x in range(width):
            raw += bytes((x * 8 % 256, y * 8 % 256, 160))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
            + chunk(b"IEND", b""))


def make_image_pdf():
    data = make_png()
    with open(out("image.pdf"), "wb") as f:
        f.write(data)
    return len(data)


# ------------------------------------------------------------------- passwd.txt

def make_passwd():
    data = b"root:x:0:0:root:/root:/bin/bash\n"
    with open(out("passwd.txt"), "wb") as f:
        f.write(data)
    return len(data)


def main():
    skip_bomb = "--no-bomb" in sys.argv
    print("truncated.pdf", make_truncated_pdf())
    print("nested.pdf", make_nested_pdf())
    print("image.pdf", make_image_pdf())
    print("passwd.txt", make_passwd())
    if not skip_bomb:
        print("bomb.docx", make_bomb_docx())


if __name__ == "__main__":
    main()
