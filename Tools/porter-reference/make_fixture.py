#!/usr/bin/env python3
"""Porter stems of a large real vocabulary, from an implementation that is not Sparrow's.

    pip install nltk==3.10.4
    python3 Tools/porter-reference/make_fixture.py ../shared/data | gzip -9n > Tests/Fixtures/analyzer/porter.nltk-martin.tsv.gz

The vocabulary is every distinct run of the letters a-z in the lower-cased texts of the shared
collections (Tools/lucene-reference/corpus_texts.py lists them). Each word is stemmed by NLTK's
PorterStemmer in MARTIN_EXTENSIONS mode: Martin Porter's own reference implementation of his
algorithm, the one that made the published voc.txt/output.txt pairs and that Lucene's
PorterStemmer ports (it departs from the 1980 paper in step 2: -bli -> -ble, and -logi -> -log).
Writes word<TAB>stem lines, sorted by word.
"""
import json, os, re, subprocess, sys
from nltk.stem.porter import PorterStemmer

here = os.path.dirname(os.path.abspath(__file__))
texts = subprocess.run([sys.executable, f"{here}/../lucene-reference/corpus_texts.py", sys.argv[1]],
                       check=True, capture_output=True, text=True).stdout
words = set()
for line in texts.split("\n")[:-1]:
    words.update(re.findall("[a-z]+", json.loads(line)["text"].lower()))
stemmer = PorterStemmer(mode=PorterStemmer.MARTIN_EXTENSIONS)
for w in sorted(words):
    sys.stdout.write(f"{w}\t{stemmer.stem(w, to_lowercase=False)}\n")
print(len(words), "words", file=sys.stderr)
