"""Compares what the real Chroma server returns with the expected migration."""
import math
import random

from .legacy_expect import f32


def dist(space, a, b):
    if space == 'l2':
        return sum((x - y) ** 2 for x, y in zip(a, b))
    dot = sum(x * y for x, y in zip(a, b))
    if space == 'ip':
        return 1.0 - dot
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(x * x for x in b))
    return 1.0 - dot / ((na * nb) or 1e-30)


def vectors_close(space, got, want):
    if len(got) != len(want):
        return False
    if space != 'cosine':
        return all(f32(g) == w for g, w in zip(got, want))  # l2/ip: the float32 value itself
    # cosine: Chroma stores the unit vector and the norm and returns their product (about 1 ulp).
    norm = math.sqrt(sum(w * w for w in want)) or 1.0
    return all(abs(g - w) <= 2e-6 * norm + 1e-7 for g, w in zip(got, want))


def same_metadata(got, want):
    """Equality that also checks int vs float vs bool types."""
    if got is None or want is None:
        return got == want
    if set(got) != set(want):
        return False
    for k, w in want.items():
        g = got[k]
        if type(g) is not type(w) or g != w:
            return False
    return True


def check_collection(test, server, name, want, recall_queries=20, min_recall=0.95):
    col = server.collection(name)
    test.assertEqual(col['configuration_json']['hnsw']['space'], want['space'], f'{name}: space')
    test.assertTrue(same_metadata(col['metadata'], want['metadata']),
                    f'{name}: collection metadata {col["metadata"]!r} != {want["metadata"]!r}')
    records = want['records']
    test.assertEqual(server.count(col['id']), len(records), f'{name}: count')
    got = server.get_all(col['id'])
    test.assertEqual(set(got), set(records), f'{name}: id sets differ')
    for rid, (vec, doc, meta) in records.items():
        gvec, gdoc, gmeta = got[rid]
        test.assertTrue(vectors_close(want['space'], gvec, vec), f'{name}/{rid}: embedding differs')
        test.assertEqual(gdoc, doc, f'{name}/{rid}: document')
        test.assertTrue(same_metadata(gmeta, meta), f'{name}/{rid}: metadata {gmeta!r} != {meta!r}')
    if records:
        test.assertEqual(col['dimension'], len(next(iter(records.values()))[0]), f'{name}: dimension')
        check_recall(test, server, col['id'], want['space'], records, recall_queries, min_recall, name)


def check_recall(test, server, cid, space, records, queries, min_recall, name):
    """recall@10 of the server's query against exact search over the expected vectors.

    A returned id counts as a hit when its exact distance is within the true 10th distance
    (ties between identical vectors make several answers equally right).
    """
    rng = random.Random(7)
    ids = list(records)
    k = min(10, len(ids))
    sample = rng.sample(ids, min(queries, len(ids)))
    qvecs = [[x + rng.gauss(0, 1e-3) for x in records[i][0]] for i in sample]
    got_ids, _ = server.query(cid, qvecs, k)
    hits = total = 0
    for q, got in zip(qvecs, got_ids):
        d = {i: dist(space, q, records[i][0]) for i in ids}
        kth = sorted(d.values())[k - 1]
        hits += sum(1 for i in got if d[i] <= kth + 1e-5 * (abs(kth) + 1))
        total += k
    recall = hits / total
    test.assertGreaterEqual(recall, min_recall, f'{name}: recall@10 = {recall:.3f}')
    return recall
