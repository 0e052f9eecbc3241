#!/usr/bin/env python3
"""Decode every barcode in label PNGs and PDFs with zxing-cpp, a reader that shares no code
with Hemaflow's encoders; PDFs are rasterised by PDFium (pypdfium2) at 300 dpi, so the PDF
is also opened by a renderer other than Hemaflow's. Prints one JSON line per file:
  {"file": "...", "pages": [[width_mm, height_mm], ...],
   "symbols": [{"format": "Code128", "text": "=W12342512345600"}, ...]}
Exit status 3 when a module is missing (install: python3 -m pip install -r requirements.txt
beside this script)."""
import json
import sys

try:
    import zxingcpp
    from PIL import Image
    import pypdfium2
except ImportError as error:
    print(f"missing Python module: {error.name}; install with: python3 -m pip install "
          "zxing-cpp pillow pypdfium2", file=sys.stderr)
    sys.exit(3)

POINTS_PER_MM = 72 / 25.4


def symbols(image):
    return [
        {"format": result.format.name, "text": result.text}
        for result in zxingcpp.read_barcodes(image)
    ]


for path in sys.argv[1:]:
    if path.endswith(".pdf"):
        document = pypdfium2.PdfDocument(path)
        pages, found = [], []
        for page in document:
            width, height = page.get_size()
            pages.append([round(width / POINTS_PER_MM, 2), round(height / POINTS_PER_MM, 2)])
            image = page.render(scale=300 / 72).to_pil()
            found.extend(symbols(image))
        print(json.dumps({"file": path, "pages": pages, "symbols": found}))
    else:
        print(json.dumps({"file": path, "symbols": symbols(Image.open(path))}))
