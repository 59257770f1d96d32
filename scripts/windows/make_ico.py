#!/usr/bin/env python3
"""Writes a Windows .ico holding the given PNG files as they are (Vista and
later read PNG entries), largest last. Usage: make_ico.py OUT.ico A.png B.png…"""
import struct
import sys


def png_size(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("make_ico.py: not a PNG")
    return struct.unpack(">II", data[16:24])


def main():
    out, pngs = sys.argv[1], sys.argv[2:]
    if not pngs:
        sys.exit("usage: make_ico.py OUT.ico A.png [B.png …]")
    images = [open(p, "rb").read() for p in pngs]
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, body = b"", b""
    for data in images:
        width, height = png_size(data)
        # 256 is written as 0 in the directory.
        entries += struct.pack("<BBBBHHII", width % 256, height % 256, 0, 0, 1, 32,
                               len(data), offset + len(body))
        body += data
    with open(out, "wb") as f:
        f.write(header + entries + body)


main()
