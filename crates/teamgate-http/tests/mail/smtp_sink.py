"""An SMTP server for teamgate's mail tests.

Usage: python3 smtp_sink.py PORT FOLDER

Listens on 127.0.0.1:PORT only, accepts every message, and writes each one,
byte for byte as the client sent it, to FOLDER/N.eml, with the envelope
recipients (one a line) in FOLDER/N.rcpt. The .rcpt file is written first and
the .eml renamed into place last, so a file named *.eml is always complete.
It stops when its standard input closes, so it never outlives the test.
"""

import itertools
import pathlib
import sys

from aiosmtpd.controller import Controller


class SaveToFolder:
    def __init__(self, folder):
        self.folder = folder
        self.numbers = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        number = next(self.numbers)
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")

        rcpt = "\n".join(envelope.rcpt_tos) + "\n"
        (self.folder / f"{number}.rcpt").write_text(rcpt, encoding="utf-8")
        partial = self.folder / f".{number}.partial"
        partial.write_bytes(data)
        partial.rename(self.folder / f"{number}.eml")
        return "250 OK: message stored"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: smtp_sink.py PORT FOLDER")
    port = int(sys.argv[1])
    folder = pathlib.Path(sys.argv[2])
    folder.mkdir(parents=True, exist_ok=True)

    controller = Controller(SaveToFolder(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"smtp sink listening on 127.0.0.1:{port}", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
