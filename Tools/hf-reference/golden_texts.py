#!/usr/bin/env python3
"""Pick the texts of Sparrow's SPLADE parity fixture (Tests/Fixtures/splade/golden.jsonl).

    python3 Tools/hf-reference/golden_texts.py ../shared/data > /tmp/golden-texts.jsonl
    python3 ../shared/tools/reference/make_golden.py ../shared/data/models/splade-tiny \
        /tmp/golden-texts.jsonl Tests/Fixtures/splade/golden.jsonl

A seeded sample of real texts from every shared collection (short queries, passages, long
abstracts that are cut at 256 word pieces; BEIR flat form: title + " " + text), none of them in
the model's own golden.jsonl, and hand-written hard strings: scripts and accents, combining marks,
CJK, emoji sequences, MS MARCO mojibake, control and zero-width characters, special-token
look-alikes, very long words and texts, empty and blank input. Writes {"id", "text"} lines.
"""
import gzip, json, random, sys

data = sys.argv[1]
rng = random.Random(20261201)
seen = {json.loads(l)["text"] for l in open(f"{data}/models/splade-tiny/golden.jsonl")}
rows = []


def take(prefix, texts, n):
    texts = [t for t in texts if t not in seen]
    for i, t in enumerate(rng.sample(texts, n)):
        seen.add(t)
        rows.append({"id": f"{prefix}-{i}", "text": t})


def corpus(name):
    with gzip.open(f"{data}/{name}/corpus.jsonl.gz", "rt") as f:
        out = []
        for line in f:
            d = json.loads(line)
            title = d.get("title") or ""
            out.append((title + " " + d["text"]) if title else d["text"])
        return out


def queries(path):
    return [json.loads(l)["text"] for l in open(f"{data}/{path}")]


take("marco-q", queries("msmarco-dev-queries/queries.jsonl"), 50)
take("dl20-q", queries("msmarco-dl-pool/queries.dl20.jsonl"), 10)
take("marco-p", corpus("msmarco-dl-pool"), 45)
take("scifact-d", corpus("scifact"), 35)
take("scifact-q", queries("scifact/queries.test.jsonl"), 15)
take("nfcorpus-d", corpus("nfcorpus"), 30)
take("nfcorpus-q", queries("nfcorpus/queries.test.jsonl"), 15)
take("cranfield-d", corpus("cranfield"), 12)
take("cacm-d", corpus("cacm"), 12)
marco = corpus("msmarco-dl-pool")
take("mojibake-p", [t for t in marco if "â€" in t or "Ã" in t], 10)

hand = [
    "", " ", "\t\n\r", "\u00a0\u2003\u3000", ".", "!!!???", "...", "--", "## ##a a##", "[CLS]", "[SEP] [MASK] [PAD] [UNK]",
    "[sep] lower-case special", "a[SEP]b", "Café crème brûlée à la française", "NAÏVE FAÇADE ÉCOLE", "Ångström Øresund Ærø",
    "e\u0301le\u0300ve (combining marks)", "Straße groß ß ẞ", "İstanbul ıi", "ﬁnancial ﬂow ligatures", "ＦＵＬＬ ｗｉｄｔｈ １２３",
    "x² + y³ = z⁴ ½ ¼", "北京是中国的首都", "東京タワーは333メートルです", "한국어 텍스트 검색", "中文，标点。符号！",
    "混合 mixed 文本 text", "ภาษาไทยไม่มีช่องว่าง", "עברית ללא ניקוד", "العربية مع التشكيل: كِتَابٌ", "हिन्दी देवनागरी लिपि",
    "Ελληνικά κείμενα με τόνους", "Русский текст с буквой ё", "Tiếng Việt có dấu", "emoji 😀😃😄 in a row",
    "family 👨‍👩‍👧‍👦 zwj", "flags 🇺🇸🇫🇷🇯🇵", "skin tones 👍🏻👍🏿", "keycap 1️⃣ #️⃣", "♥ ★ ☺ ✓ → ∞ ≠ ≤",
    "zero\u200bwidth\u200cjoiner\u200dhere", "soft\u00adhyphen", "control\u0000char\u0007bell\u001bescape",
    "bidi \u202ertl override\u202c end", "bom \ufeff inside", "replacement \ufffd char", "private \ue000 use",
    "â€œquotedâ€\u009d and â€™apostropheâ€™", "Ã©tÃ© cafÃ© naÃ¯ve", "Â£100 Â© 2019 Â®", "Donâ€™t canâ€™t wonâ€™t",
    "URL https://www.example.com/path?q=sparse&k=10#frag", "email john.doe+tag@example.co.uk", "C++ C# F# .NET node.js",
    "3.14159 2,718 1e-10 -42 +7 0x1F 1/2", "1990s '90s 24/7 9-to-5 A4 B-52", "IPv4 192.168.0.1 and IPv6 ::1",
    "co-operation re-enter e-mail x-ray", "U.S.A. U.K. e.g. i.e. etc.", "O'Neill's rock 'n' roll", "“smart” ‘quotes’ «guillemets»",
    "hyphen‐dash–en—em―bar", "tab\tseparated\tvalues", "line\nbreaks\r\nand\rreturns",
    "supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis",
    "a" * 99, "b" * 100, "c" * 101, "d" * 250, ("é" * 120), "word " * 300, "token," * 400,
    "ALL CAPS SHOUTING QUERY", "MiXeD CaSe WoRdS", "what is the meaning of life?", "how to cook rice",
    "SPLADE sparse lexical and expansion model for first stage ranking", "BM25 vs. learned sparse retrieval",
]
for i, t in enumerate(hand):
    if t not in seen:
        seen.add(t)
        rows.append({"id": f"hand-{i}", "text": t})

for r in rows:
    print(json.dumps(r, ensure_ascii=False))
print(len(rows), "texts", file=sys.stderr)
