"""make bench: chroma-migrate against its baselines, measured in one run on the same data.

For each size (NxDIM, or NxDIMwWORDS for documents WORDS words longer: 150 make a ~1,080-character
RAG chunk) it generates clustered legacy data with DuckDB, plus the index/ folder Chroma 0.3
kept beside it (hnswlib graphs via tools/write_legacy_index, pickles by Python), then measures
  * this tool: legacy dir -> persist dir (wall time, peak RSS), three ways: building the graph
    (--rebuild-index) on fixed-point copies of the vectors (the default) and in float32
    (--build-arithmetic float32, hnswlib's own spaces, as the floor builds), and reusing Chroma
    0.3's graph after checking every record against it;
  * this tool: modern dir -> persist dir, from the first run's output (a Chroma 1.x directory),
    twice: reusing its HNSW segment and building the graph (--rebuild-index);
  * Chroma's own ingest: the same records POSTed to the real Chroma 1.0.19 server's /add in
    max_batch_size batches (bodies pre-encoded, so only the server is timed), into a fresh
    server --repeat times, in turn with the tool's runs (the median counts);
  * the floor: the same HNSW graph built by hnswlib alone on the same threads (bench/hnsw_floor);
  * query recall@10 against exact search for each index this tool built (every run) and Chroma's own
    index, all queried through the real server;
  * the server path (sizes in --server-sizes): this tool migrating into a fresh server (wall time,
    peak RSS) against the server's ceiling: the very request bodies the tool sent (recorded by a
    proxy in an untimed run), pre-encoded and replayed at the tool's concurrency; up to 100,000
    records both alternate --repeat times (medians), larger sizes run once;
and prints each figure with its ratio. usage: python3 bench/run_bench.py [--sizes 10000x384,...]
"""
import argparse
import concurrent.futures
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
BUILD = os.environ.get('CM_BUILD_DIR', os.path.join(ROOT, 'build'))
OUT = os.path.join(ROOT, 'bench', 'out')
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))
from harness.chroma_server import ChromaServer  # noqa: E402
from harness.legacy_index import write_legacy_index  # noqa: E402
from harness.proxy import Proxy  # noqa: E402

CONCURRENCY = 4  # chroma-migrate's default --concurrency
BENCH_COLLECTION = '5a1e0c3e-7b7e-4f5e-9a55-0c0ffee00001'  # scripts/engines/bench_data.mjs


def run_measured(cmd):
    """Runs cmd; returns (seconds, peak RSS in MiB).

    The peak comes from GNU time, not from this process's wait4(): Linux carries a parent's RSS
    at fork into the child's ru_maxrss, and this driver holds recorded request bodies."""
    rss_file = os.path.join(OUT, '.rss')
    t0 = time.monotonic()
    p = subprocess.run(['/usr/bin/time', '-f', '%M', '-o', rss_file] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    seconds = time.monotonic() - t0
    if p.returncode not in (0, 3):
        raise SystemExit(f'{cmd} failed: {p.stderr.decode()[-2000:]}')
    with open(rss_file) as f:
        kib = int(f.read().split()[-1])
    return seconds, kib / 1024


def chroma_ingest(data_dir, work):
    """Seconds for the real server to ingest every record through /add in max_batch_size batches."""
    bodies = os.path.join(work, 'bodies-' + os.path.basename(data_dir))
    server_dir = os.path.join(work, 'chroma-ingest')
    shutil.rmtree(server_dir, ignore_errors=True)
    with ChromaServer(server_dir) as s:
        batch = s.request('GET', '/pre-flight-checks')['max_batch_size']
        if not os.path.isdir(bodies):
            subprocess.run(['node', os.path.join(ROOT, 'scripts', 'engines', 'bench_bodies.mjs'), data_dir, str(batch), bodies],
                           check=True)
        cid = s.request('POST', f'{s.db()}/collections', {'name': 'bench', 'metadata': {'hnsw:space': 'cosine'}})['id']
        payloads = []
        for f in sorted(os.listdir(bodies)):
            with open(os.path.join(bodies, f), 'rb') as fh:
                payloads.append(fh.read())
        conn = http.client.HTTPConnection('127.0.0.1', s.port, timeout=3600)
        t0 = time.monotonic()
        for body in payloads:
            conn.request('POST', f'/api/v2{s.db()}/collections/{cid}/add', body, {'Content-Type': 'application/json'})
            r = conn.getresponse()
            r.read()
            if r.status != 201:
                raise SystemExit(f'add failed: {r.status}')
        s.count(cid)  # the first read applies anything still pending
        seconds = time.monotonic() - t0
    return seconds, server_dir


def recall_hits(persist_dir, queries):
    """How many of each query's 10 exact neighbours the real server returns from persist_dir."""
    hits = []
    with ChromaServer(persist_dir) as s:
        cid = s.collection('bench')['id']
        for i in range(0, len(queries), 50):
            chunk = queries[i:i + 50]
            ids, _ = s.query(cid, [q['vector'] for q in chunk], 10)
            hits += [len(set(got) & set(q['exact'])) for got, q in zip(ids, chunk)]
    return hits


def recall(persist_dir, queries):
    return sum(recall_hits(persist_dir, queries)) / (10 * len(queries))


def server_path(data, work, repeat):
    """(tool seconds, tool peak RSS MiB, ceiling seconds, request body bytes) for legacy dir -> a fresh
    server; the tool and the ceiling alternate `repeat` times and the medians count."""
    tool = os.path.join(BUILD, 'chroma-migrate')
    rejects = os.path.join(work, 'server.rejects.jsonl')
    args = ['--progress', 'none', '--quiet', '--concurrency', str(CONCURRENCY), '--rejects', rejects]
    # 1. Untimed: record what the tool sends.
    rec_dir = os.path.join(work, 'server-record')
    shutil.rmtree(rec_dir, ignore_errors=True)
    with ChromaServer(rec_dir) as s, Proxy(s.port, keep_bodies=True) as p:
        run_measured([tool, '--from', data, '--to', p.url] + args)
        exchanges = list(p.exchanges)
    shutil.rmtree(rec_dir, ignore_errors=True)
    writes = [e for e in exchanges if e[0] == 'POST' and e[1].rsplit('/', 1)[-1] in ('add', 'upsert')]
    others = [e for e in exchanges if e not in writes and e[0] != 'GET']
    tool_runs, ceiling_runs = [], []
    for _ in range(repeat):
        # 2. Timed: the tool into a fresh server.
        tool_dir = os.path.join(work, 'server-tool')
        shutil.rmtree(tool_dir, ignore_errors=True)
        with ChromaServer(tool_dir) as s:
            tool_runs.append(run_measured([tool, '--from', data, '--to', f'http://127.0.0.1:{s.port}'] + args))
        shutil.rmtree(tool_dir, ignore_errors=True)
        # 3. Timed: the same requests replayed into a fresh server; writes at the same concurrency.
        ceiling_runs.append(replay(work, writes, others))
    print(f'server path: tool runs {", ".join(f"{t:.2f}" for t, _ in tool_runs)} s; '
          f'ceiling runs {", ".join(f"{t:.2f}" for t in ceiling_runs)} s', flush=True)
    return (statistics.median(t for t, _ in tool_runs), max(r for _, r in tool_runs),
            statistics.median(ceiling_runs), sum(len(e[2]) for e in writes))


def replay(work, writes, others):
    """Seconds to replay the recorded requests into a fresh server, ending with each count."""
    ceiling_dir = os.path.join(work, 'server-ceiling')
    shutil.rmtree(ceiling_dir, ignore_errors=True)
    with ChromaServer(ceiling_dir) as s:
        local = threading.local()

        def send(method, path, body):
            if not hasattr(local, 'conn'):
                local.conn = http.client.HTTPConnection('127.0.0.1', s.port, timeout=3600)
            local.conn.request(method, path, body, {'Content-Type': 'application/json'})
            r = local.conn.getresponse()
            return r.status, r.read()

        t0 = time.monotonic()
        ids = {}

        def mapped(path):
            for old, new in ids.items():
                path = path.replace(old, new)
            return path

        for method, path, body, status, resp in others:  # collection creation and updates, in order
            got_status, got = send(method, mapped(path), body)
            if got_status != status:
                raise SystemExit(f'replay of {method} {path}: {got_status} (recorded {status})')
            if path.endswith('/collections') and method == 'POST':
                ids[json.loads(resp)['id']] = json.loads(got)['id']

        def write(e):
            path = mapped(e[1])
            got_status, _ = send(e[0], path, e[2])
            if got_status >= 300:
                raise SystemExit(f'replay of {e[0]} {path}: {got_status}')

        with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
            list(pool.map(write, writes))
        # As the tool does (and as the ingest baseline does): read each count, which waits until
        # the server has applied everything it accepted.
        for method, path, body, status, resp in others:
            if path.endswith('/collections') and method == 'POST':
                got_status, _ = send('GET', f"{path}/{ids[json.loads(resp)['id']]}/count", None)
                if got_status != 200:
                    raise SystemExit(f'count after the replay: {got_status}')
        ceiling_s = time.monotonic() - t0
    shutil.rmtree(ceiling_dir, ignore_errors=True)
    return ceiling_s


def parse_size(size):
    """(n, dim, words) of a size 'NxDIM' or 'NxDIMwWORDS': WORDS more words in every document
    (150: ~1,080 characters, a RAG chunk; without: ~58)."""
    m = re.fullmatch(r'(\d+)x(\d+)(?:w(\d+))?', size)
    if not m:
        raise SystemExit(f'size {size!r}: expected NxDIM or NxDIMwWORDS')
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def legacy_data(size, order='interleaved'):
    """(n, dim, work dir, legacy dir) of a size (parse_size), generating its clustered legacy data once.
    order: 'interleaved' (the topics take turns) or 'by-topic' (stored one topic after another)."""
    n, dim, words = parse_size(size)
    work = os.path.join(OUT, size)
    data = os.path.join(work, 'legacy' if order == 'interleaved' else 'legacy-' + order)
    os.makedirs(work, exist_ok=True)
    if not os.path.exists(os.path.join(data, 'chroma-embeddings.parquet')):
        subprocess.run(['node', os.path.join(ROOT, 'scripts', 'engines', 'bench_data.mjs'), data, str(n), str(dim), 'cosine',
                        order, str(words)], check=True)
    return n, dim, work, data


def budget_mib(r):
    """The persist-dir path's memory goal for a row: 1.3 × the HNSW index + 256 MiB."""
    return 1.3 * r['index_mib'] + 256


def spread(values):
    """'lowest–highest' of several runs' recall, for the table beside their median."""
    return f'{min(values):.3f}–{max(values):.3f}'


def main():
    ap = argparse.ArgumentParser()
    # 20000x1536w150: the same records with RAG-sized documents (~1,080 characters), whose
    # trigram full-text index (Chroma's, built by SQLite's FTS5 on either side) is most of the work.
    ap.add_argument('--sizes', default='10000x384,100000x384,20000x1536,20000x1536w150')
    # One build's recall@10 on a fixed query set moves with the build by up to the spread of the
    # queries' hits over the root of their number: at a million records ±0.01 on 200 queries,
    # ±0.005 on 1,000 (docs/performance.md, note 4). The first 200 of any set are the same.
    ap.add_argument('--queries', type=int, default=1000)
    ap.add_argument('--repeat', type=int, default=3, help='runs of the tool and of the floor (medians are reported)')
    ap.add_argument('--ingest-sizes', default='10000x384,100000x384,20000x1536,20000x1536w150',
                    help="sizes that also measure Chroma's own ingest (a 1M ingest takes too long on small machines)")
    ap.add_argument('--server-sizes', default='10000x384,100000x384,20000x1536',
                    help='sizes that also measure the server path (it runs three server ingests)')
    args = ap.parse_args()
    threads = os.cpu_count()
    rows = []
    for size in args.sizes.split(','):
        n, dim, work, data = legacy_data(size)
        if not os.path.isdir(os.path.join(data, 'index')):
            write_legacy_index(data, {BENCH_COLLECTION: 'cosine'}, threads)
        # The tool and the floor alternate --repeat times and the medians count, so that the
        # load of a shared machine weighs on both alike.
        tool_out = os.path.join(work, 'tool')
        floor_json = os.path.join(work, 'floor.json')
        reuse_out = os.path.join(work, 'tool-reuse')
        modern_out = os.path.join(work, 'from-modern')
        tool_f32_out = os.path.join(work, 'tool-float32')
        tool_runs, tool_f32_runs, reuse_runs, floor_runs, modern_runs, modern_build_runs = [], [], [], [], [], []
        # Recall of every build, not only the last: the levels are random, so one build's recall@10
        # is one draw (0.988 to 0.998 at 100k), and Chroma's own index is a draw of the same kind.
        r_tools, r_tools_f32, r_moderns = [], [], []
        # Chroma's ingest repeats in the same turns: one ingest has read anything from 12.8 to
        # 18.8 s at 20,000 × 1536 on this shared machine, and a ratio is only as steady as both
        # of its sides.
        measure_ingest = size in args.ingest_sizes.split(',')
        chroma_runs, r_chromas = [], []
        for _ in range(args.repeat):
            shutil.rmtree(tool_out, ignore_errors=True)
            tool_runs.append(run_measured([os.path.join(BUILD, 'chroma-migrate'), '--from', data, '--to', tool_out,
                                           '--progress', 'none', '--quiet', '--rebuild-index', '--report',
                                           tool_out + '.json']))
            with open(tool_out + '.json') as f:
                arithmetic = json.load(f)['collections'][0]['graph_arithmetic']
            if arithmetic != 'int16 fixed point':
                sys.exit(f'{size}: the graph was not built in fixed point: {arithmetic}')
            shutil.rmtree(tool_f32_out, ignore_errors=True)
            tool_f32_runs.append(run_measured([os.path.join(BUILD, 'chroma-migrate'), '--from', data, '--to', tool_f32_out,
                                               '--progress', 'none', '--quiet', '--rebuild-index',
                                               '--build-arithmetic', 'float32']))
            # The tool's output is a modern (Chroma 1.x) directory: migrating it again reuses its
            # HNSW segment, or builds the graph with --rebuild-index.
            for runs, extra in ((modern_runs, ['--report', modern_out + '.json']), (modern_build_runs, ['--rebuild-index'])):
                shutil.rmtree(modern_out, ignore_errors=True)
                runs.append(run_measured([os.path.join(BUILD, 'chroma-migrate'), '--from', tool_out, '--to', modern_out,
                                          '--progress', 'none', '--quiet', *extra]))
                if extra[0] == '--report':
                    with open(modern_out + '.json') as f:
                        graph = json.load(f)['collections'][0]
                    if graph['graph'] != 'reused':
                        sys.exit(f'{size}: the modern segment was not reused: {graph["graph_note"]}')
            shutil.rmtree(reuse_out, ignore_errors=True)
            reuse_runs.append(run_measured([os.path.join(BUILD, 'chroma-migrate'), '--from', data, '--to', reuse_out,
                                            '--progress', 'none', '--quiet', '--report', reuse_out + '.json']))
            with open(reuse_out + '.json') as f:
                graph = json.load(f)['collections'][0]
            if graph['graph'] != 'reused':
                sys.exit(f'{size}: the index/ graph was not reused: {graph["graph_note"]}')
            subprocess.run([os.path.join(BUILD, 'hnsw_floor'), data, 'cosine', str(threads), str(args.queries),
                            floor_json], check=True, stdout=subprocess.DEVNULL)
            with open(floor_json) as f:
                floor = json.load(f)
            floor_runs.append(floor['build_seconds'])
            r_tools.append(recall(tool_out, floor['queries']))
            r_tools_f32.append(recall(tool_f32_out, floor['queries']))
            r_moderns.append(recall(modern_out, floor['queries']))  # the modern loop's last run built its graph
            if measure_ingest:
                seconds, chroma_dir = chroma_ingest(data, work)
                chroma_runs.append(seconds)
                r_chromas.append(recall(chroma_dir, floor['queries']))
                shutil.rmtree(chroma_dir, ignore_errors=True)
        tool_s = statistics.median(t for t, _ in tool_runs)
        tool_rss = max(r for _, r in tool_runs)
        tool_f32_s = statistics.median(t for t, _ in tool_f32_runs)
        tool_f32_rss = max(r for _, r in tool_f32_runs)
        shutil.rmtree(tool_f32_out, ignore_errors=True)
        reuse_s = statistics.median(t for t, _ in reuse_runs)
        reuse_rss = max(r for _, r in reuse_runs)
        floor['build_seconds'] = statistics.median(floor_runs)
        modern_s = statistics.median(t for t, _ in modern_runs)
        modern_rss = max(r for _, r in modern_runs)
        modern_build_s = statistics.median(t for t, _ in modern_build_runs)
        modern_build_rss = max(r for _, r in modern_build_runs)
        print(f'{size}: tool runs {", ".join(f"{t:.2f}" for t, _ in tool_runs)} s; '
              f'float32 {", ".join(f"{t:.2f}" for t, _ in tool_f32_runs)} s; '
              f'reusing index/ {", ".join(f"{t:.2f}" for t, _ in reuse_runs)} s; '
              f'modern dir reusing its segment {", ".join(f"{t:.2f}" for t, _ in modern_runs)} s, building '
              f'{", ".join(f"{t:.2f}" for t, _ in modern_build_runs)} s; '
              f'floor runs {", ".join(f"{t:.2f}" for t in floor_runs)} s; '
              f'Chroma ingest runs {", ".join(f"{t:.2f}" for t in chroma_runs) or "none"} s', flush=True)
        chroma_s = statistics.median(chroma_runs) if chroma_runs else None
        r_chroma = statistics.median(r_chromas) if r_chromas else None
        r_tool = statistics.median(r_tools)
        r_reuse = recall(reuse_out, floor['queries'])
        r_modern = statistics.median(r_moderns)
        shutil.rmtree(modern_out, ignore_errors=True)
        index_mib = n * (dim * 4 + 32 * 4 + 4 + 8 + 4) / 2**20
        row = dict(size=size, n=n, tool_s=tool_s, tool_rss=tool_rss, tool_f32_s=tool_f32_s, tool_f32_rss=tool_f32_rss,
                   r_tools_f32=r_tools_f32, r_tool_f32=statistics.median(r_tools_f32), reuse_s=reuse_s, reuse_rss=reuse_rss, r_reuse=r_reuse,
                   chroma_s=chroma_s, modern_s=modern_s, modern_rss=modern_rss, modern_build_s=modern_build_s,
                   modern_build_rss=modern_build_rss,
                   r_modern=r_modern, r_tools=r_tools, r_moderns=r_moderns,
                   floor_s=floor['build_seconds'], r_tool=r_tool, r_chroma=r_chroma, r_chromas=r_chromas,
                   index_mib=index_mib)
        if size in args.server_sizes.split(','):
            # A server run at 100k takes about 50 s, and one alternation of it has read anything from
            # 0.86 to 0.99 of the ceiling on this shared machine: up to 100k they repeat too.
            runs = args.repeat if n <= 100000 else 1
            row['srv_s'], row['srv_rss'], row['ceil_s'], row['srv_bytes'] = server_path(data, work, runs)
            print(f"{size}: server path: tool {row['srv_s']:.2f} s ({row['srv_rss']:.0f} MiB peak), replay of its "
                  f"{row['srv_bytes'] / 2**20:.0f} MiB of request bodies {row['ceil_s']:.2f} s", flush=True)
        rows.append(row)
        ingest = f'{chroma_s:.2f} s ({n / chroma_s:,.0f} rec/s)' if chroma_s else 'not run'
        print(f'{size}: tool {tool_s:.2f} s ({n / tool_s:,.0f} rec/s, {tool_rss:.0f} MiB peak), '
              f'Chroma ingest {ingest}, hnswlib floor {floor["build_seconds"]:.2f} s, '
              f'float32 {tool_f32_s:.2f} s ({tool_f32_rss:.0f} MiB peak), '
              f'recall tool {r_tool:.3f} (builds {", ".join(f"{x:.4f}" for x in r_tools)}; float32 builds '
              f'{", ".join(f"{x:.4f}" for x in r_tools_f32)}; modern dir builds '
              f'{", ".join(f"{x:.4f}" for x in r_moderns)}) / Chroma '
              f'{", ".join(f"{x:.4f}" for x in r_chromas) or "n/a"}; reusing index/ '
              f'{reuse_s:.2f} s ({n / reuse_s:,.0f} rec/s, {reuse_rss:.0f} MiB peak), recall {r_reuse:.3f}', flush=True)
    print()
    print(f'machine: {os.cpu_count()} cores, {os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30:.0f} GiB; '
          f'{threads} threads')
    print('| data | this tool, building the graph (fixed point) | Chroma ingest (HTTP /add) | speed-up (goal ≥ 10×) | '
          'hnswlib floor (float32) | tool/floor throughput (goal ≥ 0.8) | the tool in float32: time, /floor, speed-up '
          '| peak RSS / (1.3 × index + 256 MiB), fixed point / float32 '
          '| recall@10: median (range) of the tool\'s builds, fixed point / float32 / Chroma |')
    print('|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        budget = budget_mib(r)
        if r['chroma_s']:
            ingest = f"{r['chroma_s']:.2f} s ({r['n'] / r['chroma_s']:,.0f}/s) | {r['chroma_s'] / r['tool_s']:.1f}×"
            r_chroma = f"{r['r_chroma']:.3f} ({spread(r['r_chromas'])})"
        else:
            ingest, r_chroma = 'not run (--ingest-sizes) | –', '–'
        f32_speedup = f", {r['chroma_s'] / r['tool_f32_s']:.1f}×" if r['chroma_s'] else ''
        print(f"| {r['size']} | {r['tool_s']:.2f} s ({r['n'] / r['tool_s']:,.0f}/s) | {ingest} | {r['floor_s']:.2f} s | "
              f"{r['floor_s'] / r['tool_s']:.2f} | {r['tool_f32_s']:.2f} s, {r['floor_s'] / r['tool_f32_s']:.2f}{f32_speedup} | "
              f"{r['tool_rss']:.0f} / {r['tool_f32_rss']:.0f} MiB of {budget:.0f} MiB = {r['tool_rss'] / budget:.2f} / "
              f"{r['tool_f32_rss'] / budget:.2f} | {r['r_tool']:.3f} ({spread(r['r_tools'])}) / "
              f"{r['r_tool_f32']:.3f} ({spread(r['r_tools_f32'])}) / {r_chroma} |")
    print()
    print('| data | this tool, reusing Chroma 0.3\'s index/ graph | speed-up vs Chroma ingest (goal ≥ 10×) '
          '| peak RSS / (1.3 × index + 256 MiB) | recall@10 reused / Chroma |')
    print('|---|---|---|---|---|')
    for r in rows:
        budget = budget_mib(r)
        speedup = f"{r['chroma_s'] / r['reuse_s']:.1f}×" if r['chroma_s'] else 'not run'
        r_chroma = f"{r['r_chroma']:.3f}" if r['chroma_s'] else '–'
        print(f"| {r['size']} | {r['reuse_s']:.2f} s ({r['n'] / r['reuse_s']:,.0f}/s) | {speedup} | "
              f"{r['reuse_rss']:.0f} MiB / {budget:.0f} MiB = {r['reuse_rss'] / budget:.2f} | {r['r_reuse']:.3f} / {r_chroma} |")
    print()
    print('| data | modern dir → persist dir, reusing its HNSW segment | the same, building the graph | speed-up of each vs '
          'Chroma ingest | peak RSS reusing / building (budget) | recall@10 built: median (range) |')
    print('|---|---|---|---|---|---|')
    for r in rows:
        speedup = (f"{r['chroma_s'] / r['modern_s']:.1f}× / {r['chroma_s'] / r['modern_build_s']:.1f}×" if r['chroma_s']
                   else 'not run')
        print(f"| {r['size']} | {r['modern_s']:.2f} s ({r['n'] / r['modern_s']:,.0f}/s) | {r['modern_build_s']:.2f} s "
              f"({r['n'] / r['modern_build_s']:,.0f}/s) | {speedup} | {r['modern_rss']:.0f} / "
              f"{r['modern_build_rss']:.0f} MiB ({budget_mib(r):.0f}) | {r['r_modern']:.3f} ({spread(r['r_moderns'])}) |")
    print()
    print(f'| data | legacy dir → server, this tool | ceiling: its request bodies replayed ({CONCURRENCY} in flight) '
          '| tool/ceiling throughput (goal ≥ 0.9) | tool peak RSS (goal ≤ 256 MiB) |')
    print('|---|---|---|---|---|')
    for r in rows:
        if 'srv_s' in r:
            print(f"| {r['size']} | {r['srv_s']:.2f} s ({r['n'] / r['srv_s']:,.0f}/s) | {r['ceil_s']:.2f} s "
                  f"({r['n'] / r['ceil_s']:,.0f}/s) | {r['ceil_s'] / r['srv_s']:.2f} | {r['srv_rss']:.0f} MiB |")


if __name__ == '__main__':
    main()
