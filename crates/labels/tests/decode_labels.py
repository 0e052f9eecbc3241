#!/usr/bin/env python3
"""Decode every barcode in label PNGs with zxing-cpp, a reader that shares no code with
Hemaflow's encoders. Prints one JSON line per file:
  {"file": "...", "symbols": [{"format": "Code128", "text": "=W12342512345600"}, ...]}
Exit status 3 when zxing-cpp or Pillow is missing (install: pip install zxing-cpp pillow)."""
import json
import sys

try:
    import zxingcpp
    from PIL import Image
except ImportError as error:
    print(f"missing Python module: {error.name}; install with: "
          "python3 -m pip install zxing-cpp pillow", file=sys.stderr)
    sys.exit(3)

for path in sys.argv[1:]:
    image = Image.open(path)
    symbols = [
        {"format": result.format.name, "text": result.text}
        for result in zxingcpp.read_barcodes(image)
    ]
    print(json.dumps({"file": path, "symbols": symbols}))
