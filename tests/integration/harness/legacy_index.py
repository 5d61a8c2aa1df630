"""Chroma 0.3's index/ folder, written and judged independently of chroma-migrate's C++.

write_legacy_index: for a generated legacy directory, the graphs come from tools/write_legacy_index
(hnswlib, as Chroma 0.3.24+ built them) and the three pickles are written here exactly as Chroma
0.3.24+ wrote them (pickle.HIGHEST_PROTOCOL; legacy-formats.md §2.1).

cache_matches: whether a collection's cache indexes exactly the given rows: the oracle the tests
hold the tool's reuse decision to. Parses the stock hnswlib file with struct (not our parser).
"""
import math
import os
import pickle
import struct
import subprocess
import time
import uuid

from harness import engines

HEADER = struct.Struct('<QQQQQQiIQQQdQ')  # saveIndex's 96-byte header


def write_legacy_index(legacy_dir, spaces=None, threads=2):
    """Builds index/ for every collection in legacy_dir; spaces maps collection uuid -> l2|ip|cosine."""
    tool = os.path.join(engines.BUILD, 'write_legacy_index')
    args = [tool, legacy_dir, str(threads)] + [f'{k}={v}' for k, v in (spaces or {}).items()]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    index = os.path.join(legacy_dir, 'index')
    for name in sorted(os.listdir(index)):
        if not name.startswith('labels_'):
            continue
        cuuid = name[len('labels_'):-len('.tsv')]
        pairs = []
        with open(os.path.join(index, name)) as f:
            for line in f:
                label, row_uuid = line.rstrip('\n').split('\t')
                pairs.append((int(label), uuid.UUID(row_uuid)))
        os.unlink(os.path.join(index, name))
        with open(os.path.join(index, f'index_{cuuid}.bin'), 'rb') as f:
            h = HEADER.unpack(f.read(HEADER.size))
        dim = (h[4] - h[5]) // 4
        dump = lambda obj, what: pickle.dump(obj, open(os.path.join(index, f'{what}_{cuuid}.pkl'), 'wb'),
                                             pickle.HIGHEST_PROTOCOL)
        dump({label: u for label, u in pairs}, 'id_to_uuid')
        dump({u.hex: label for label, u in pairs}, 'uuid_to_id')
        dump({'dimensionality': dim, 'curr_elements': len(pairs), 'total_elements_added': len(pairs),
              'time_created': time.time()}, 'index_metadata')


def read_stock_index(path):
    """(header tuple, [(label, deleted, vector tuple)]) of a stock hnswlib file."""
    with open(path, 'rb') as f:
        data = f.read()
    h = HEADER.unpack_from(data, 0)
    n, spe, label_offset, offset_data = h[2], h[3], h[4], h[5]
    dim = (label_offset - offset_data) // 4
    elements = []
    for i in range(n):
        base = HEADER.size + i * spe
        deleted = bool(data[base + 2] & 1)
        vec = struct.unpack_from(f'<{dim}f', data, base + offset_data)
        (label,) = struct.unpack_from('<Q', data, base + label_offset)
        elements.append((label, deleted, vec))
    return h, elements


def f32(x):
    return struct.unpack('<f', struct.pack('<f', x))[0]


def cache_matches(legacy_dir, cuuid, rows, space):
    """True when index/ of collection cuuid holds exactly `rows` (legacy row dicts with 'uuid' and
    'embedding'), nothing deleted, M 16 / ef_construction 100, and equal vectors (cosine: unit
    vectors within 1e-4)."""
    index = os.path.join(legacy_dir, 'index')
    bin_path = os.path.join(index, f'index_{cuuid}.bin')
    pkl_path = os.path.join(index, f'uuid_to_id_{cuuid}.pkl')
    if not (os.path.exists(bin_path) and os.path.exists(pkl_path)) or not rows:
        return False
    h, elements = read_stock_index(bin_path)
    if h[10] != 16 or h[12] != 100 or len(elements) != len(rows) or any(d for _, d, _ in elements):
        return False
    with open(pkl_path, 'rb') as f:
        label_of = pickle.load(f)
    by_label = {label: vec for label, _, vec in elements}
    if len(label_of) != len(elements) or len(by_label) != len(elements):
        return False
    for row in rows:
        label = label_of.get(uuid.UUID(row['uuid']).hex)
        if label is None or label not in by_label:
            return False
        want = [f32(x) for x in row['embedding']]
        got = by_label.pop(label)
        if len(want) != len(got):
            return False
        if space == 'cosine':
            norm = math.sqrt(sum(x * x for x in want))
            if any(abs(w / (norm + 1e-30) - g) > 1e-4 for w, g in zip(want, got)):
                return False
        elif list(got) != want:
            return False
    return not by_label
