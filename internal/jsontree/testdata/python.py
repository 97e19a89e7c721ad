"""Generates the tables internal/jsontree's tests compare with.

Run from internal/jsontree:

    python3 testdata/python.py

It writes, deterministically (a fixed random seed):

- testdata/float_repr.json: [bits, text] pairs, bits the IEEE 754 binary64
  of a float as 16 hex digits and text what json.dumps writes for it
  (repr(float) when finite; NaN, Infinity, -Infinity otherwise);
- testdata/dumps.json: {"in", "dumps", "sorted"} objects, "in" a JSON
  text, "dumps" json.dumps(json.loads(in)) and "sorted" the same with
  sort_keys=True.

The tests read these files; they do not need Python. The generating
Python's version is recorded in each file's first entry.
"""

import json
import math
import random
import struct
import sys

rng = random.Random(17)


def bits(f):
    return struct.pack(">d", f).hex()


def from_bits(h):
    return struct.unpack(">d", bytes.fromhex(h))[0]


floats = [
    0.0, -0.0, 1e-05, 1e-07, 123456789012345680.0, 1e16, 1e15, 5e-324,
    1.7976931348623157e308, 0.1, 100.0, 1e22, 1.0, -1.0, 0.0001, 0.00001,
    0.00009999999999999999, 9999999999999998.0, 9999999999999999.0,
    1e16 - 2, 1e16 + 2, 2.0**53, 2.0**53 + 2, 2.0**63, 2.0**64, 1.5e300,
    2.5e-07, 3.141592653589793, 2.2250738585072014e-308, 2.225073858507201e-308,
    0.3, 2 / 3, 1 / 3, 12113.67, 1e21, 1e23, 1e-4, 1.0000000000000002,
    0.30000000000000004, 123.456, -123.456e-10, 4.35, 0.93333, 0.8,
    math.inf, -math.inf, math.nan,
]
for e in range(-325, 309):
    floats.append(float("1e%d" % e))
    floats.append(float("-1.5e%d" % e))
for e in range(-1074, 1024, 7):
    floats.append(2.0**e)
for _ in range(1500):
    # Any bit pattern: every exponent, subnormals included.
    f = from_bits("%016x" % rng.getrandbits(64))
    if not math.isnan(f):
        floats.append(f)
for _ in range(1500):
    # Short decimals around the notation switches.
    digits = rng.randint(1, 17)
    mant = rng.randint(1, 10**digits - 1)
    exp = rng.randint(-25, 25)
    floats.append(float("%de%d" % (mant, exp)) * rng.choice((1, -1)))

seen = set()
table = [["python", sys.version.split()[0]]]
for f in floats:
    h = bits(f)
    if h in seen:
        continue
    seen.add(h)
    table.append([h, json.dumps(f)])

with open("testdata/float_repr.json", "w", encoding="ascii") as out:
    out.write("[\n")
    out.write(",\n".join(json.dumps(row) for row in table))
    out.write("\n]\n")

texts = [
    '0', '-0', '1', '-1', '1.0', '1.50', '100', '1e2', '1E2', '1e-5', '0.0001',
    '0.00001', '1e15', '1e16', '123456789012345678', '1.5e300', '1e400',
    '-1e400', '1e-400', '3.14159265358979323846', '0.1', '2.5e-7', '-0.0',
    '12113.67', '9007199254740993', '9007199254740993.0', '5e-324',
    '1.7976931348623157e308', '123e-2', '0e10', '1e22', '123456789012345680.0',
    '1e-07', '100.0', '18446744073709551616', '-123456789012345678901234567890',
    '"plain"', '"\\u00e9"', '"é"', '"😀"', '"\\ud83d\\ude00"', '"\\u007f"',
    '"\\u0000\\u0001\\u001f"', '"tab\\there\\b\\f\\n\\r"', '"quote\\"back\\\\slash\\/"',
    '"\\u2028\\u2029"', '"日本"', '"\\ud800"', '"\\udc00\\ud800"', '"\\udbff\\udfff"',
    '"\\ud800x"', '"<&>\'"', '"\\uFFFF\\uFEFF"', '"\U0010ffff"',
    'true', 'false', 'null', '[]', '{}', '[[], {}, [{}]]',
    '{"b":1,"a":2,"B":3,"$ref":4,"é":5,"😀":6,"\\uffff":7}',
    '{"a":1,"b":2,"a":3}', '{"":0,"\\u0000":1," ":2}',
    '{"type":"object","properties":{"total":{"type":"number","minimum":0.0,"maximum":1e16},"name":{"type":"string","description":"Name \\u2014 as printed"}},"required":["total","name"]}',
    '[1, 2.0, -3e2, {"b": null}, "\\u00e9\\ud83d\\ude00\\n", true, false]',
    ' \t\n\r[1 , 2 ]\n',
]
texts += ['"%s"' % ("\\u%04x" % c) for c in range(0x00, 0x20)]
texts += ['"%s"' % chr(c) for c in range(0x20, 0x7f) if chr(c) not in '"\\']
texts.append('"\\u007f\x7f"')

alphabet = (
    [chr(c) for c in range(0x20, 0x7f)]
    + ["\u00e9", "\u00ff", "\u0100", "\u07ff", "\u0800", "\u2028", "\u20ac", "\ufffd",
       "\uffff", "\U00010000", "\U0001f600", "\U0010ffff", "\t", "\n", "\x00", "\x1f", "\x7f"]
)


def random_value(depth):
    k = rng.randint(0, 6 if depth < 3 else 3)
    if k == 0:
        return rng.choice([None, True, False])
    if k == 1:
        return rng.randint(-10**20, 10**20)
    if k == 2:
        return from_bits("%016x" % rng.getrandbits(64)) if rng.random() < 0.3 else rng.uniform(-1e6, 1e6)
    if k == 3:
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        if rng.random() < 0.1:
            s += rng.choice(["\ud800", "\udfff", "\udbff"])
        return s
    if k == 4:
        return [random_value(depth + 1) for _ in range(rng.randint(0, 4))]
    return {random_key(): random_value(depth + 1) for _ in range(rng.randint(0, 4))}


def random_key():
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 5)))


def finite(v):
    if isinstance(v, float):
        return math.isfinite(v)
    if isinstance(v, list):
        return all(finite(e) for e in v)
    if isinstance(v, dict):
        return all(finite(e) for e in v.values())
    return True


for _ in range(400):
    v = random_value(0)
    if not finite(v):
        continue
    try:
        text = json.dumps(v, ensure_ascii=False)
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: keep it escaped
        text = json.dumps(v)
    texts.append(text)

rows = [{"in": "python", "dumps": sys.version.split()[0], "sorted": ""}]
for t in texts:
    v = json.loads(t)
    rows.append({"in": t, "dumps": json.dumps(v), "sorted": json.dumps(v, sort_keys=True)})

with open("testdata/dumps.json", "w", encoding="utf-8") as out:
    out.write("[\n")
    out.write(",\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    out.write("\n]\n")
