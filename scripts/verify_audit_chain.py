#!/usr/bin/env python3
"""Recompute teamgate's audit hash chain from a JSON Lines export, independently
of teamgate's own code (SPEC.md section 6).

    teamgate audit export --org ORG --format jsonl | python3 scripts/verify_audit_chain.py
    curl -b cookies 'http://127.0.0.1:8080/api/v1/orgs/ORG/audit/export?format=jsonl' \
        | python3 scripts/verify_audit_chain.py

Each line is one event. Its `hash` must be the lowercase hex SHA-256 of the
event without `hash`, written as RFC 8785 canonical JSON (keys sorted by UTF-16
code units, no whitespace, minimal string escapes, numbers as ECMAScript prints
them). Its `prev_hash` must be the previous line's `hash` (64 zeros for seq 1),
and `seq` must count up by one from 1.

Exit status: 0 when every line checks out, 1 at the first bad event (its seq is
printed), 2 for a usage error. Python 3 standard library only.
"""

import argparse
import hashlib
import json
import math
import sys

GENESIS = "0" * 64

# The short escapes JSON (and so RFC 8785) uses; every other control character is \u00xx.
SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


class Bad(Exception):
    """A line that breaks the chain, with what is wrong."""


def canonical(value):
    """RFC 8785 text of a parsed JSON value."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return canonical_int(value)
    if isinstance(value, float):
        return ecmascript_number(value)
    if isinstance(value, str):
        return canonical_string(value)
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=utf16_units)
        return "{" + ",".join(canonical_string(k) + ":" + canonical(value[k]) for k in keys) + "}"
    raise Bad("a value JSON cannot hold: %r" % (value,))


def utf16_units(key):
    # Big-endian UTF-16 bytes compare in the same order as the code units they hold.
    return key.encode("utf-16-be", "surrogatepass")


def canonical_int(n):
    # RFC 8785 reads numbers as IEEE doubles; integers beyond 2**53 lose precision there too.
    if abs(n) <= 2 ** 53:
        return str(n)
    return ecmascript_number(float(n))


def canonical_string(s):
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch in SHORT_ESCAPES:
            out.append(SHORT_ESCAPES[ch])
        elif code < 0x20:
            out.append("\\u%04x" % code)
        elif 0xD800 <= code <= 0xDFFF:
            raise Bad("a string holds a lone surrogate, which RFC 8785 refuses")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def ecmascript_number(x):
    """A double as ECMAScript's Number.prototype.toString prints it."""
    if math.isnan(x) or math.isinf(x):
        raise Bad("NaN and infinities are not JSON")
    if x == 0:
        return "0"  # also for -0
    sign = "-" if x < 0 else ""
    # repr() gives the shortest digits that round-trip, as ECMAScript requires.
    digits, exponent = shortest_digits(abs(x))
    k = len(digits)
    n = exponent  # the value is 0.DIGITS * 10**n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        text = mantissa + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + text


def shortest_digits(x):
    """(significant digits without leading or trailing zeros, n) with x == 0.DIGITS * 10**n."""
    text = repr(x)
    if "e" in text:
        mantissa, exp = text.split("e")
        exp = int(exp)
    else:
        mantissa, exp = text, 0
    if "." in mantissa:
        whole, frac = mantissa.split(".")
    else:
        whole, frac = mantissa, ""
    all_digits = whole + frac
    point = len(whole) + exp  # where the decimal point sits in all_digits
    stripped = all_digits.lstrip("0")
    point -= len(all_digits) - len(stripped)
    return stripped.rstrip("0"), point


def no_duplicate_keys(pairs):
    # A repeated key could hide a second value from one reader; refuse it.
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise Bad("the key %r appears twice" % key)
        seen[key] = value
    return seen


def event_hash(event):
    body = {k: v for k, v in event.items() if k != "hash"}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def check(lines, partial=False):
    """Walks the lines; returns the number of events, or raises Bad naming the first bad seq."""
    expected_seq = None
    prev_hash = None
    org_id = None
    count = 0
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        seq_here = expected_seq if expected_seq is not None else 1
        try:
            event = json.loads(line, object_pairs_hook=no_duplicate_keys)
        except (ValueError, Bad) as e:
            raise Bad("seq %s (line %d): not a JSON object: %s" % (seq_here, number, e))
        if not isinstance(event, dict):
            raise Bad("seq %s (line %d): not a JSON object" % (seq_here, number))
        seq = event.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise Bad("seq %s (line %d): no whole-number seq" % (seq_here, number))
        if expected_seq is None:
            if seq != 1 and not partial:
                raise Bad("seq %d (line %d): the export must start at seq 1 (use --partial for a filtered export)" % (seq, number))
            expected_seq = seq
            prev_hash = GENESIS if seq == 1 else event.get("prev_hash")
            org_id = event.get("org_id")
        if seq != expected_seq:
            raise Bad("seq %d (line %d): expected seq %d" % (seq, number, expected_seq))
        if event.get("org_id") != org_id:
            raise Bad("seq %d (line %d): belongs to another organisation" % (seq, number))
        if event.get("prev_hash") != prev_hash:
            raise Bad("seq %d (line %d): prev_hash does not match the previous event's hash" % (seq, number))
        stated = event.get("hash")
        try:
            computed = event_hash(event)
        except Bad as e:
            raise Bad("seq %d (line %d): %s" % (seq, number, e))
        if stated != computed:
            raise Bad("seq %d (line %d): hash does not match the event's content" % (seq, number))
        prev_hash = stated
        expected_seq += 1
        count += 1
    return count


def main(argv=None):
    parser = argparse.ArgumentParser(description="Recompute a teamgate audit chain from JSON Lines on stdin.")
    parser.add_argument("--partial", action="store_true",
                        help="accept an export that starts after seq 1 (its first prev_hash is taken on trust)")
    args = parser.parse_args(argv)
    stdin = open(sys.stdin.fileno(), encoding="utf-8", errors="strict", closefd=False)
    try:
        count = check(stdin, partial=args.partial)
    except Bad as e:
        print("BROKEN at %s" % e)
        return 1
    except UnicodeDecodeError as e:
        print("BROKEN: the input is not UTF-8: %s" % e)
        return 1
    print("ok: %d events, chain intact" % count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
