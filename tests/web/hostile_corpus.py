"""A generated corpus of hostile uploads (seeded: the same files every run).

Each item is ``(kind, filename, content_type, bytes)``. Kinds: empty, truncated,
bomb, dimensions, polyglot, wrong_type, metadata, odd_name, corrupt, mutated.
The valid images are tiny (no face), so the analysis of the ones that decode is
quick.
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from collections.abc import Iterator

from PIL import Image, PngImagePlugin

Item = tuple[str, str, str, bytes]


def _image(size: tuple[int, int] = (64, 48), seed: int = 0) -> Image.Image:
    rng = random.Random(seed)
    img = Image.new("RGB", size)
    img.putdata(
        [
            (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            for _ in range(size[0] * size[1])
        ]
    )
    return img


def _encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def _png_claiming(width: int, height: int, *, body: bytes | None = None) -> bytes:
    """A PNG whose header claims *width* x *height* (IDAT: *body* or a few zero rows)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = body if body is not None else zlib.compress(b"\0" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _zlib_bomb(n_bytes: int) -> bytes:
    comp = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    out = [comp.compress(chunk) for _ in range(n_bytes >> 20)]
    out.append(comp.flush())
    return b"".join(out)


def _gif_claiming(width: int, height: int) -> bytes:
    return (
        b"GIF89a"
        + struct.pack("<HH", width, height)
        + b"\x00\x00\x00"
        + b",\x00\x00\x00\x00"
        + struct.pack("<HH", width, height)
        + b"\x00\x02\x02D\x01\x00;"
    )


def _jpeg_with_segments(base: bytes, segments: list[tuple[int, bytes]]) -> bytes:
    """Insert APPn/COM segments right after SOI."""
    out = bytearray(base[:2])
    for marker, payload in segments:
        for start in range(0, len(payload), 65000):  # one segment holds < 64 KiB
            part = payload[start : start + 65000]
            out += bytes([0xFF, marker]) + struct.pack(">H", len(part) + 2) + part
    out += base[2:]
    return bytes(out)


def corpus() -> list[Item]:
    """Return the whole corpus (at least 200 files)."""
    items: list[Item] = []
    items += list(_empty())
    items += list(_truncated())
    items += list(_bombs())
    items += list(_dimensions())
    items += list(_polyglots())
    items += list(_wrong_types())
    items += list(_metadata())
    items += list(_odd_names())
    items += list(_corrupt())
    items += list(_mutated())
    return items


def _empty() -> Iterator[Item]:
    yield "empty", "empty.jpg", "image/jpeg", b""
    yield "empty", "one-byte.jpg", "image/jpeg", b"\xff"
    yield "empty", "soi-only.jpg", "image/jpeg", b"\xff\xd8"
    yield "empty", "spaces.png", "image/png", b" " * 64
    yield "empty", "png-signature.png", "image/png", b"\x89PNG\r\n\x1a\n"


def _truncated() -> Iterator[Item]:
    img = _image(seed=1)
    for fmt, ctype in (("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")):
        data = _encode(img, fmt)
        for frac in (0.05, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 0.97, 0.995):
            cut = max(3, int(len(data) * frac))
            yield "truncated", f"cut-{frac}.{fmt.lower()}", ctype, data[:cut]


def _bombs() -> Iterator[Item]:
    for w, h in (
        (100_000, 100_000),
        (65_535, 65_535),
        (30_000, 30_000),
        (2**31 - 1, 1),
        (1, 2**31 - 1),
        (0, 0),
        (50_000, 2_000),
    ):
        yield "bomb", f"claims-{w}x{h}.png", "image/png", _png_claiming(w, h)
    # A real zlib bomb: 64 MiB of zeros in ~64 KiB, for a 8000 x 8000 grey image.
    yield "bomb", "zlib-bomb.png", "image/png", _png_claiming(8000, 8000, body=_zlib_bomb(64 << 20))
    for w, h in ((65_535, 65_535), (40_000, 40_000), (65_535, 1)):
        yield "bomb", f"claims-{w}x{h}.gif", "image/gif", _gif_claiming(w, h)
    # A JPEG whose frame header claims 65500 x 65500.
    data = bytearray(_encode(_image(seed=2), "JPEG"))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 65_500, 65_500)
    yield "bomb", "claims-65500.jpg", "image/jpeg", bytes(data)
    # A zTXt chunk that inflates to 64 MiB (metadata bomb).
    png = _encode(_image(seed=3), "PNG")
    bomb = _png_chunk(b"zTXt", b"Comment\x00\x00" + _zlib_bomb(64 << 20))
    yield "bomb", "ztxt-bomb.png", "image/png", png[:33] + bomb + png[33:]


def _dimensions() -> Iterator[Item]:
    for w, h in (
        (1, 1),
        (2, 2),
        (1, 40_000),
        (40_000, 1),
        (32_767, 2),
        (2, 32_767),
        (33_000, 3),
        (1, 65_000),
        (6000, 1),
        (1, 6000),
    ):
        img = Image.new("L", (w, h), 128)
        yield "dimensions", f"{w}x{h}.png", "image/png", _encode(img, "PNG", optimize=True)
    yield (
        "dimensions",
        "20000x20.jpg",
        "image/jpeg",
        _encode(Image.new("RGB", (20_000, 20), "white"), "JPEG"),
    )
    yield (
        "dimensions",
        "20x20000.jpg",
        "image/jpeg",
        _encode(Image.new("RGB", (20, 20_000), "white"), "JPEG"),
    )


def _polyglots() -> Iterator[Item]:
    jpeg = _encode(_image(seed=4), "JPEG")
    png = _encode(_image(seed=5), "PNG")
    zip_tail = (
        b"PK\x03\x04\x14\x00\x00\x00\x00\x00"
        + b"\x00" * 16
        + b"\x05\x00\x00\x00evil/"
        + b"PK\x05\x06"
        + b"\x00" * 18
    )
    html = b"<html><script>alert(document.cookie)</script></html>"
    yield "polyglot", "jpeg-zip.jpg", "image/jpeg", jpeg + zip_tail
    yield "polyglot", "jpeg-html.jpg", "image/jpeg", jpeg + html
    yield "polyglot", "png-php.png", "image/png", png + b"<?php system($_GET['c']); ?>"
    yield (
        "polyglot",
        "jpeg-comment-script.jpg",
        "image/jpeg",
        _jpeg_with_segments(jpeg, [(0xFE, html)]),
    )
    yield "polyglot", "pdf-then-jpeg.jpg", "image/jpeg", b"%PDF-1.4\n" + jpeg
    yield (
        "polyglot",
        "jpeg-then-pdf.jpg",
        "image/jpeg",
        jpeg + b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF",
    )
    yield "polyglot", "html-then-png.png", "image/png", html + png
    yield (
        "polyglot",
        "gif-js.gif",
        "image/gif",
        b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=alert(1);//;",
    )
    yield "polyglot", "two-jpegs.jpg", "image/jpeg", jpeg + jpeg
    yield "polyglot", "png-after-iend.png", "image/png", png + png
    yield (
        "polyglot",
        "svg-in-jpeg-name.jpg",
        "image/jpeg",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    )
    yield "polyglot", "jpeg-zip-ctype.zip", "application/zip", jpeg + zip_tail
    yield "polyglot", "png-in-jpeg-name.jpg", "image/jpeg", png
    yield "polyglot", "jpeg-in-png-name.png", "image/png", jpeg
    yield "polyglot", "jpeg-with-elf-tail.jpg", "image/jpeg", jpeg + b"\x7fELF" + b"\x00" * 60


def _wrong_types() -> Iterator[Item]:
    rng = random.Random(6)
    img = _image(seed=6)
    docs = {
        "notes.txt": (b"just some text\n" * 10, "text/plain"),
        "page.html": (b"<!doctype html><p>hello</p>", "text/html"),
        "doc.pdf": (
            b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF",
            "application/pdf",
        ),
        "arch.zip": (b"PK\x05\x06" + b"\x00" * 18, "application/zip"),
        "prog.elf": (b"\x7fELF\x02\x01\x01" + b"\x00" * 57, "application/octet-stream"),
        "pic.svg": (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
            "image/svg+xml",
        ),
        "psd.psd": (b"8BPS\x00\x01" + b"\x00" * 40, "image/vnd.adobe.photoshop"),
        "heic.heic": (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40, "image/heic"),
        "avif.avif": (b"\x00\x00\x00\x1cftypavif" + b"\x00" * 40, "image/avif"),
        "jxl.jxl": (b"\xff\x0a" + b"\x00" * 40, "image/jxl"),
        "data.json": (b'{"a": 1}', "application/json"),
        "movie.mp4": (b"\x00\x00\x00\x20ftypisom" + b"\x00" * 40, "video/mp4"),
        "gz.gz": (zlib.compress(b"x" * 1000), "application/gzip"),
        "wasm.wasm": (b"\x00asm\x01\x00\x00\x00", "application/wasm"),
        "utf16.txt": ("hello".encode("utf-16"), "text/plain"),
    }
    for name, (data, ctype) in docs.items():
        yield "wrong_type", name, ctype, data
    for fmt, ext in (
        ("BMP", "bmp"),
        ("TIFF", "tif"),
        ("ICO", "ico"),
        ("PPM", "ppm"),
        ("TGA", "tga"),
        ("PCX", "pcx"),
        ("EPS", "eps"),
    ):
        try:
            data = _encode(img if fmt != "ICO" else img.resize((32, 32)), fmt)
        except (OSError, KeyError, ValueError):
            continue
        yield "wrong_type", f"image.{ext}", "image/jpeg", data
    for i in range(8):
        yield "wrong_type", f"random-{i}.jpg", "image/jpeg", rng.randbytes(rng.randrange(16, 4096))


def _metadata() -> Iterator[Item]:
    rng = random.Random(7)
    base = _encode(_image(seed=7), "JPEG")
    big = rng.randbytes(60_000)
    exif_head = b"Exif\x00\x00II*\x00\x08\x00\x00\x00"
    yield (
        "metadata",
        "big-exif.jpg",
        "image/jpeg",
        _jpeg_with_segments(base, [(0xE1, exif_head + big)]),
    )
    yield (
        "metadata",
        "garbage-exif.jpg",
        "image/jpeg",
        _jpeg_with_segments(base, [(0xE1, b"Exif\x00\x00" + big[:5000])]),
    )
    # An IFD claiming 65535 entries with offsets past the end.
    ifd = (
        b"Exif\x00\x00II*\x00\x08\x00\x00\x00\xff\xff"
        + b"\x0f\x01\x02\x00\xff\xff\xff\x7f\xff\xff\xff\x7f" * 40
    )
    yield "metadata", "ifd-lies.jpg", "image/jpeg", _jpeg_with_segments(base, [(0xE1, ifd)])
    yield (
        "metadata",
        "many-app-segments.jpg",
        "image/jpeg",
        _jpeg_with_segments(base, [(0xE0 + (i % 16), b"x" * 200) for i in range(400)]),
    )
    yield (
        "metadata",
        "huge-comment.jpg",
        "image/jpeg",
        _jpeg_with_segments(base, [(0xFE, b"c" * 900_000)]),
    )
    yield (
        "metadata",
        "icc-garbage.jpg",
        "image/jpeg",
        _jpeg_with_segments(base, [(0xE2, b"ICC_PROFILE\x00\x01\x01" + big[:20_000])]),
    )
    yield (
        "metadata",
        "xmp-huge.jpg",
        "image/jpeg",
        _jpeg_with_segments(
            base, [(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + b"<x:xmpmeta>" + b"a" * 500_000)]
        ),
    )
    yield (
        "metadata",
        "gps-exif.jpg",
        "image/jpeg",
        _encode(_image(seed=8), "JPEG", exif=_gps_exif()),
    )
    info = PngImagePlugin.PngInfo()
    for i in range(200):
        info.add_text(f"k{i}", "v" * 2000)
    yield (
        "metadata",
        "many-text-chunks.png",
        "image/png",
        _encode(_image(seed=9), "PNG", pnginfo=info),
    )
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "z" * 2_000_000, zip=True)
    yield "metadata", "big-ztxt.png", "image/png", _encode(_image(seed=10), "PNG", pnginfo=info)
    png = _encode(_image(seed=11), "PNG")
    yield (
        "metadata",
        "unknown-chunks.png",
        "image/png",
        png[:33] + b"".join(_png_chunk(b"abCd", big[:3000]) for _ in range(50)) + png[33:],
    )
    yield (
        "metadata",
        "bad-crc-chunk.png",
        "image/png",
        png[:33] + struct.pack(">I", 4) + b"tEXtabcd" + b"\0\0\0\0" + png[33:],
    )
    yield (
        "metadata",
        "iccp-bomb.png",
        "image/png",
        png[:33] + _png_chunk(b"iCCP", b"icc\x00\x00" + _zlib_bomb(32 << 20)) + png[33:],
    )
    yield (
        "metadata",
        "exif-orientation-9.jpg",
        "image/jpeg",
        _encode(_image(seed=12), "JPEG", exif=_orientation_exif(9)),
    )
    yield (
        "metadata",
        "exif-orientation-6.jpg",
        "image/jpeg",
        _encode(_image(seed=13), "JPEG", exif=_orientation_exif(6)),
    )


def _gps_exif() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 18.0)}
    exif[0x010F] = "EvilCam <script>"
    return exif.tobytes()


def _orientation_exif(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def _odd_names() -> Iterator[Item]:
    data = _encode(_image(seed=14), "JPEG")
    names = [
        "../../../../etc/passwd.jpg",
        "..\\..\\windows\\system32\\x.jpg",
        "/absolute/path.jpg",
        "a" * 1000 + ".jpg",
        "",
        ".jpg",
        "CON.jpg",
        "photo.jpg.exe",
        "ph\u200boto\u202egpj.exe",
        "фото-клиента.jpg",
        "照片.jpg",
        "😀.jpg",
        "name with spaces.jpg",
        "semi;colon.jpg",
        'quo"te.jpg',
        "<script>alert(1)</script>.jpg",
        "%2e%2e%2fescape.jpg",
        "new\nline.jpg",
        "tab\tname.jpg",
        "no-extension",
    ]
    for name in names:
        yield "odd_name", name, "image/jpeg", data
    yield "odd_name", "weird-ctype.jpg", "application/x-msdownload", data
    yield "odd_name", "no-ctype.jpg", "", data


def _corrupt() -> Iterator[Item]:
    rng = random.Random(15)
    for i, (fmt, ctype) in enumerate(
        (("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp"), ("GIF", "image/gif"))
        * 5
    ):
        data = bytearray(_encode(_image(seed=100 + i), fmt))
        # Keep the header, replace the body with noise.
        keep = 64 if fmt != "PNG" else 41
        data[keep:] = rng.randbytes(len(data) - keep)
        yield "corrupt", f"noise-body-{i}.{fmt.lower()}", ctype, bytes(data)


def _mutated() -> Iterator[Item]:
    rng = random.Random(16)
    sources = [
        ("JPEG", "image/jpeg", _encode(_image(seed=200), "JPEG")),
        ("PNG", "image/png", _encode(_image(seed=201), "PNG")),
        ("WEBP", "image/webp", _encode(_image(seed=202), "WEBP")),
    ]
    for i in range(60):
        fmt, ctype, data = sources[i % 3]
        buf = bytearray(data)
        for _ in range(rng.randrange(1, 12)):
            pos = rng.randrange(len(buf))
            buf[pos] = rng.randrange(256)
        yield "mutated", f"flip-{i}.{fmt.lower()}", ctype, bytes(buf)
