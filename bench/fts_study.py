"""What Chroma's full-text index costs to build: SQLite FTS5 with the trigram tokenizer.

Chroma keeps every document in `embedding_fulltext_search`, an FTS5 table with
tokenize='trigram' (its migrations' SQL), and this tool fills it as Chroma does, one row per
document. With documents of RAG size that index is most of a migration's work (README,
Performance). This study measures, in this machine's SQLite (the one the tool links):

  * the insert rate into such a table, per character of text, for documents of each length
    given, with FTS5's in-memory hash at each size given (the tool loads with 8 MiB);
  * why it is slow: FTS5 accumulates postings in a hash table keyed by (index byte, term), and
    its hash of a short key (h = (h << 3) ^ h ^ byte, from a seed of 13, taken modulo the
    slot count) keeps few distinct values for trigrams, whatever the table's size; the study
    counts the trigrams of the generated text, the distinct hash values among them, and the
    entries a lookup walks on average (each a memcmp of the key), at the slot counts FTS5
    grows to.

The documents are made-up words of 2-10 lowercase letters from a 5,000-word vocabulary, as
`make bench` generates them (scripts/engines/bench_data.mjs, WORDS); real text has fewer distinct
trigrams than random letters but more than one alphabet's worth once digits, capitals
(folded), punctuation and other scripts come in.

usage: python3 bench/fts_study.py [--docs 10000] [--chars 58,1000] [--hash-kib 1024,8192]
"""
import argparse
import collections
import random
import sqlite3
import time


def documents(count, chars, rng, vocabulary):
    out = []
    for _ in range(count):
        words, length = [], 0
        while length < chars:
            w = rng.choice(vocabulary)
            words.append(w)
            length += len(w) + 1
        out.append(' '.join(words)[:chars])
    return out


def fts5_hash_key2(key, index_byte=ord('0')):
    """FTS5's fts5HashKey2 before the modulo (ext/fts5/fts5_hash.c)."""
    h = 13
    for c in reversed(key):
        h = ((h << 3) ^ h ^ c) & 0xffffffff
    return ((h << 3) ^ h ^ index_byte) & 0xffffffff


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--docs', type=int, default=10000)
    ap.add_argument('--chars', default='58,1000')
    ap.add_argument('--hash-kib', default='1024,8192')
    args = ap.parse_args()
    rng = random.Random(1)
    letters = 'abcdefghijklmnopqrstuvwxyz'
    vocabulary = [''.join(rng.choice(letters) for _ in range(rng.randint(2, 10))) for _ in range(5000)]
    print(f'SQLite {sqlite3.sqlite_version}; {args.docs} documents a run')
    for chars in map(int, args.chars.split(',')):
        docs = documents(args.docs, chars, rng, vocabulary)
        text = sum(len(d) for d in docs)
        for kib in map(int, args.hash_kib.split(',')):
            db = sqlite3.connect(':memory:', isolation_level=None)
            db.execute("CREATE VIRTUAL TABLE f USING fts5(string_value, tokenize='trigram')")
            db.execute("INSERT INTO f (f, rank) VALUES ('hashsize', ?)", (kib << 10,))
            t0 = time.monotonic()
            db.execute('BEGIN')
            db.executemany('INSERT INTO f (rowid, string_value) VALUES (?, ?)', enumerate(docs, 1))
            db.execute('COMMIT')
            seconds = time.monotonic() - t0
            db.close()
            print(f'{chars:>5} characters a document, hash {kib:>5} KiB: {seconds:.3f} s, '
                  f'{seconds / text * 1e9:.0f} ns per character ({text / seconds / 1e6:.1f} MB/s)', flush=True)
        trigrams = set()
        for d in docs:
            b = d.encode()
            trigrams.update(b[i:i + 3] for i in range(len(b) - 2))
        values = [fts5_hash_key2(t) for t in trigrams]
        line = f'{chars:>5} characters: {len(trigrams)} distinct trigrams, {len(set(values))} distinct hash values;'
        for slots in (16384, 32768, 65536):
            chains = collections.Counter(v % slots for v in values)
            walked = sum(n * (n + 1) / 2 for n in chains.values()) / len(values)
            line += f' {slots} slots: {walked:.1f} entries walked per lookup,'
        print(line.rstrip(','), flush=True)


if __name__ == '__main__':
    main()
