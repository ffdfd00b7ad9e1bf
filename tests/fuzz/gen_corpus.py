"""Writes the fuzz corpus of tests/fuzz (issue 12): malformed .npy files, CSV files and
index strings, each with what NumPy does with it (its data, or an error), into corpus/
and corpus/manifest.lua. Run by developers, never by the tests:
    /work/pyref/bin/python tests/fuzz/gen_corpus.py
Seeded: the same corpus every time."""
import io, os, random, struct, warnings
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")
rng = random.Random(12)
entries = []
os.makedirs(OUT, exist_ok=True)
for old in os.listdir(OUT):
    os.remove(os.path.join(OUT, old))


def lua_str(s):
    return '"' + "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "\\%d" % ord(c)
                         for c in s) + '"'


def lua_num(v):
    v = float(v)
    if v != v: return "0/0"
    if v == float("inf"): return "1/0"
    if v == float("-inf"): return "-1/0"
    return repr(v)


def outcome(fn):
    """NumPy's result as (kind, shape, flat values) or ('error',)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = np.asarray(fn())
    except Exception:
        return ("error",)
    if a.dtype.kind not in "biuf" or a.size > 64:
        return ("skip",)
    return ("data", a.shape, [float(v) for v in a.ravel()])


def add(kind, name, data, result, **extra):
    if result[0] == "skip": return
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    e = {"kind": kind, "file": name, "result": result}
    e.update(extra)
    entries.append(e)


# ---- .npy ----
def npy_bytes(header, data=b"", version=1, hlen=None):
    h = header.encode("latin1")
    pre = 10 if version == 1 else 12
    pad = (-(pre + len(h) + 1)) % 64
    h = h + b" " * pad + b"\n"
    n = len(h) if hlen is None else hlen
    if version == 1:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", n & 0xffff) + h + data
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack("<I", n & 0xffffffff) + h + data


def npy_case(name, raw):
    add("npy", name, raw, outcome(lambda: np.load(io.BytesIO(raw), allow_pickle=False)))


good = np.arange(6, dtype="<i4").tobytes()
base = "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }"
descrs = ["<i4", "<f4", "<f8", "|u1", "|i1", "<i2", "<i8", "|b1", ">i4", ">f8", "=i4", "i4",
          "<f2", "<c8", "<U3", "|O", "<M8", "", "<", "<i", "<i44", "<i4 ", " <i4", "|V4",
          "<u4", "<u8", "<u2", "S3"]
shapes = ["(2, 3)", "(6,)", "(3, 2)", "(2, 3,)", "()", "(0,)", "(0, 3)", "(6)", "(2 3)",
          "(-1, 3)", "(2, -3)", "[2, 3]", "(2, 3", "2, 3)", "(2,, 3)", "(,)", "(2.0, 3)",
          "(0x2, 3)", "(02, 3)", "(+2, 3)", "(1, 1, 1, 1, 1, 1, 1, 1, 6)", "(1, 1, 1, 1, 1, 1, 1, 6)",
          "(9223372036854775807,)", "(9223372036854775808,)", "(4611686018427387904, 4)",
          "(4294967296, 4294967296)", "(3, 4611686018427387904)", "(1099511627776,)",
          "(2, 3, 0)", "(12,)", "(1, 6)", "( 2 , 3 )", "(2,3)", "(True, 3)", "(2, 3)(", "()()"]
forts = ["False", "True", "Falsey", "false", "0", "1", "None", "'False'", "Fals", "False ",
         "FalseTrue", "True_"]
for i, d in enumerate(descrs):
    npy_case("npy_descr_%02d.npy" % i, npy_bytes(
        "{'descr': '%s', 'fortran_order': False, 'shape': (2, 3), }" % d, good * 2))
for i, s in enumerate(shapes):
    npy_case("npy_shape_%02d.npy" % i, npy_bytes(
        "{'descr': '<i4', 'fortran_order': False, 'shape': %s, }" % s, good))
for i, f in enumerate(forts):
    npy_case("npy_fortran_%02d.npy" % i, npy_bytes(
        "{'descr': '<i4', 'fortran_order': %s, 'shape': (2, 3), }" % f, good))
dicts = [
    "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3)}",
    "{'descr':'<i4','fortran_order':False,'shape':(2,3)}",
    '{"descr": "<i4", "fortran_order": False, "shape": (2, 3)}',
    "{'descr': '<i4', 'fortran_order': False}",
    "{'descr': '<i4', 'shape': (2, 3)}",
    "{'fortran_order': False, 'shape': (2, 3)}",
    "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}",
    "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), 'descr': '<f4'}",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'descr': '<i4'}",
    "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), 'fortran_order': False}",
    "{'descr': '<i4', 'fortran_order': False, 'shape': (6,), 'shape': (2, 3)}",
    "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3),, }",
    "{'descr': '<i4' 'fortran_order': False, 'shape': (2, 3)}",
    "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3)} x",
    "'descr': '<i4', 'fortran_order': False, 'shape': (2, 3)",
    "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3)",
    "{}", "", "{,}", "None", "[1, 2]",
    "{'descr': \"<i4', 'fortran_order': False, 'shape': (2, 3)}",
    "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), } \x00",
    "{'descr': '<i4\x00', 'fortran_order': False, 'shape': (2, 3)}",
    "{'descr': '<i4', \"fortran_order\": False, 'shape': (2, 3)}",
    "{descr: '<i4', 'fortran_order': False, 'shape': (2, 3)}",
    "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), 1: 2}",
    "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (2, 3)}",
    "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }\t",
    "{ 'descr' : '<i4' , 'fortran_order' : False , 'shape' : ( 2 , 3 ) , }",
    "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), 'descr': '<i4', }",
    "{'Descr': '<i4', 'fortran_order': False, 'shape': (2, 3)}",
    "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3)}}",
    "{{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3)}",
]
for i, d in enumerate(dicts):
    npy_case("npy_dict_%02d.npy" % i, npy_bytes(d, good))
# truncated data, extra data, versions, header lengths, magic
full = npy_bytes(base, good)
for i, cut in enumerate([0, 1, 5, 6, 8, 9, 10, 11, 30, 63, 64, 65, 70, 80, 87, len(full) - 1]):
    npy_case("npy_cut_%02d.npy" % i, full[:cut])
npy_case("npy_extra.npy", full + b"\x01\x02\x03")
for i, v in enumerate([2, 3]):
    npy_case("npy_version_%d.npy" % v, npy_bytes(base, good, version=v))
for i, raw in enumerate([b"\x93NUMPY\x04\x00" + full[8:], b"\x93NUMPY\x00\x00" + full[8:],
                         b"\x93NUMPX" + full[6:], b"\x92NUMPY" + full[6:], b"NUMPY" + full,
                         b"\x93NUMPY\x01\x00\xff\xff" + full[10:], b"\x93NUMPY\x01\x00\x00\x00" + full[10:],
                         b"\x93NUMPY\x02\x00\xff\xff\xff\xff" + full[10:], b"\x93NUMPY\x01\x00\x10\x00" + full[10:]]):
    npy_case("npy_pre_%02d.npy" % i, raw)
# random byte flips in the header
for i in range(60):
    raw = bytearray(full)
    for _ in range(rng.randint(1, 3)):
        raw[rng.randrange(6, 64)] = rng.randrange(256)
    npy_case("npy_flip_%02d.npy" % i, bytes(raw))

# ---- CSV ----
def csv_case(name, text, **extra):
    raw = text.encode("latin1")
    r = outcome(lambda: np.loadtxt(io.StringIO(text, newline=""), delimiter=",", comments=None,
                                   ndmin=2, dtype=np.float64, encoding=None))
    # heatlua skips lines of only whitespace (NumPy raises with a delimiter): documented
    # and tolerates one trailing separator (spreadsheets write it): documented in docs/io.md
    lines = text.split("\n")
    lenient = any(l.strip(" \t\r\f\v") == "" and l != "" for l in lines[:-1]) or \
        any(l.rstrip(" \t\r\f\v").endswith(",") for l in lines)
    add("csv", name, raw, r, lenient=lenient, **extra)


tokens = ["1", "2.5", "-3", "1e3", "nan", "inf", "-inf", "", " ", "\t", "\f", "\v", "\r", "x",
          "1.5.2", "0x10", "+4", "1e", ".5", "5.", "1e400", "-0", "  7  ", "1,", ",", "1 2",
          "\x00", "\xff", "1_000", "NaN", "Infinity", "1d3", "--1", "1e-400"]
fixed = ["", "\n", "1\n", "1,2\n3,4\n", "1,2\n3,4", "1,2\r\n3,4\r\n", "1,2\n\n3,4\n",
         "1,2\n3\n", "1\n2,3\n", "1,2,\n3,4,\n", "1,,2\n", ",1\n", "\f\n5\n", "\v\n5\n",
         "1\n\f\n5\n", " \f \n5\n", "1,\f2\n3,4\n", "1,2\n \n3,4\n", "1,2\n\t\n3,4\n",
         "\n\n\n", "1\r2\n", "1,2\x00\n", "1\n2\n3\n4\n5\n6\n7\n", "# c\n1\n",
         "1e3,2E-2\n", "nan,inf\n-inf,1\n", "1,2\n3,4\n5,6\n7,8\n9,10\n", "1;2\n", "1 2\n3 4\n"]
for i, t in enumerate(fixed):
    csv_case("csv_fixed_%02d.csv" % i, t)
for i in range(120):
    rows, cols = rng.randint(1, 6), rng.randint(1, 4)
    lines = []
    for _ in range(rows):
        fields = [str(rng.randint(-50, 50)) if rng.random() < 0.75 else rng.choice(tokens)
                  for _ in range(cols)]
        lines.append(",".join(fields))
    text = "\n".join(lines) + rng.choice(["\n", "", "\r\n", "\n\n"])
    csv_case("csv_rand_%03d.csv" % i, text)

# ---- index strings on np.arange(24).reshape(4, 6) and np.arange(10) ----
idx = ["0", "-1", "3", "4", "-5", "1:3", "::2", "::-1", "1::-1", ":, 0", "..., 1", "None",
       "None, 0", "0, None", "1:3, ::2", "::9223372036854775807", "3::9223372036854775807",
       "::-9223372036854775807", "-1::-9223372036854775808", "7:2:-9223372036854775807",
       "9223372036854775807", "-9223372036854775808", "9223372036854775808", "::0", "0:0",
       "5:1", "1:2:3:4", "", " ", ",", "0,", "0,,1", "(0)", "[0]", "0.5", "1e2", "0x1", "+1",
       "--1", "...,...", "..., None, ...", ":", "::", ":::", "0 1", "1 :", " 1 : 3 ",
       "abc", "newaxis", "np.newaxis", "None:1", "1:None", "0, 0, 0", "-0", "00", "0:-0",
       "2:-9223372036854775808", "-9223372036854775808:", ":9223372036854775807",
       "1:3, -9223372036854775807::4611686018427387904", "99999999999999999999"]
for shape_name, arr in [("2d", np.arange(24).reshape(4, 6)), ("1d", np.arange(10))]:
    for i, s in enumerate(idx):
        def ev(s=s, arr=arr):
            if s.strip() in ("", ","):
                raise IndexError("empty")
            e = s.replace("np.newaxis", "None").replace("newaxis", "None")
            if any(c.isalpha() and e.find("None") < 0 for c in e) or "0x" in e:
                raise IndexError("not an integer")
            return eval("arr[%s]" % e, {"arr": arr, "None": None})
        r = outcome(ev)
        entries.append({"kind": "index", "shape": shape_name, "index": s, "result": r})


def manifest():
    out = ["-- Generated by gen_corpus.py from NumPy %s: what NumPy does with each input." % np.__version__,
           "return {"]
    for e in entries:
        parts = ["kind = %s" % lua_str(e["kind"])]
        if "file" in e: parts.append("file = %s" % lua_str(e["file"]))
        if "index" in e: parts.append("index = %s, on = %s" % (lua_str(e["index"]), lua_str(e["shape"])))
        if e.get("lenient"): parts.append("lenient = true")
        r = e["result"]
        if r[0] == "error":
            parts.append('numpy = "error"')
        else:
            parts.append("shape = {%s}" % ", ".join(str(d) for d in r[1]))
            parts.append("values = {%s}" % ", ".join(lua_num(v) for v in r[2]))
        out.append("  {" + ", ".join(p for p in parts if p) + "},")
    out.append("}")
    with open(os.path.join(OUT, "manifest.lua"), "w") as f:
        f.write("\n".join(out) + "\n")


manifest()
print(len(entries), "entries,", sum(1 for e in entries if e["result"][0] == "error"), "NumPy errors")
