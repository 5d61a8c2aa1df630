"""make bench-recall: does the graph this tool builds answer queries as well as Chroma's own?

One build's recall@10 is one draw: hnswlib draws each node's level at random and two threads
interleave their inserts, so the same data gives 0.988 to 0.998 at 100k from one build to the
next, and Chroma's own index is a draw of the same kind. One build a side cannot tell them apart.
This study builds the graph --builds times each way on one data set:
  * this tool: legacy dir -> persist dir with --rebuild-index (its default insertion order,
    spatial: a random tenth of the collection, then the rest grouped by where the vectors lie;
    build i passes --insertion-seed i, so the sample covers the spread between permutations, not
    one permutation's threads alone);
  * this tool with --insertion-order shuffled (a random permutation of the whole collection, the
    same seed as the tool's build i: a paired sample);
  * this tool with --build-arithmetic float32 (the same permutation as the tool's build i, the
    graph built with hnswlib's float spaces instead of on fixed-point copies: a paired sample);
  * this tool with --insertion-order stored (the source's order);
  * Chroma: its own ingest, the same records POSTed to the real Chroma 1.0.19 server's /add in
    max_batch_size batches (run_bench.chroma_ingest);
queries every index through the real server with the same --queries queries (stored vectors plus
noise; exact neighbours by brute force in bench/hnsw_floor), and compares the two samples of
per-build recall: mean, standard deviation, Welch's t, and a two-sided permutation test of the
difference of the means of this tool and each other side (every split of the pooled builds into
two groups of the same sizes, or 200,000 random splits when there are more than a million; with
three builds a side it cannot go below 0.10). Each build's hits per query go to
recall-study-[ORDER-]QUERIES.json beside the data.
How many queries matters as much as how many builds: at a million records the same tool's builds
read 0.8385, 0.8250 and 0.8290 on the bench's 200 queries (the first 200 of any larger set) and
0.8254, 0.8247 and 0.8259 on 5,000 (docs/performance.md, note 4).
The builds alternate, so that a shared machine's load weighs on all alike (recall does not
depend on speed, but thread interleaving does).
--order by-topic stores the records one topic after another instead of letting the topics take
turns (bench_data.mjs): the order in which a graph receives them then matters a great deal.
--sides picks the sides (default tool,shuffled,float32,stored,chroma; the tool is always one).
--first-build N numbers the builds from N (the tool's seeds with them), to add builds to an earlier
study; their hits per query go to recall-study-[ORDER-]QUERIES-fromN.json.
usage: python3 bench/recall_study.py [--size 100000x384] [--builds 10] [--queries 1000]
                                     [--order interleaved|by-topic] [--sides tool,float32,...]
                                     [--first-build 0]
"""
import argparse
import itertools
import json
import math
import os
import random
import shutil
import statistics
import subprocess

from run_bench import BUILD, chroma_ingest, legacy_data, recall_hits, run_measured


def permutation_p(a, b, draws=200000):
    """Two-sided p of |mean(a) - mean(b)| under exchangeability: over every split of a + b into
    groups of their sizes while there are at most a million, else over `draws` random splits."""
    pooled = a + b
    observed = abs(statistics.mean(a) - statistics.mean(b)) - 1e-12
    total = sum(pooled)

    def extreme(chosen):
        s = sum(pooled[i] for i in chosen)
        return abs(s / len(a) - (total - s) / len(b)) >= observed

    if math.comb(len(pooled), len(a)) <= 1000000:
        splits = list(itertools.combinations(range(len(pooled)), len(a)))
        return sum(map(extreme, splits)) / len(splits)
    rng = random.Random(0)
    return sum(extreme(rng.sample(range(len(pooled)), len(a))) for _ in range(draws)) / draws


def paired_p(a, b, draws=200000):
    """Two-sided p of the mean of the paired differences a[i] - b[i] under sign flips: every
    assignment of signs while there are at most a million, else `draws` random ones."""
    d = [x - y for x, y in zip(a, b)]
    observed = abs(sum(d))
    if 2 ** len(d) <= 1000000:
        signs = itertools.product((1, -1), repeat=len(d))
        total = 2 ** len(d)
    else:
        rng = random.Random(1)
        signs = ([rng.choice((1, -1)) for _ in d] for _ in range(draws))
        total = draws
    extreme = sum(1 for s in signs if abs(sum(x * y for x, y in zip(s, d))) >= observed - 1e-12)
    return extreme / total


def welch_t(a, b):
    """Welch's t of mean(a) - mean(b); nan when a side has fewer than two builds or no spread."""
    if len(a) < 2 or len(b) < 2:
        return float('nan')
    se = math.sqrt(statistics.variance(a) / len(a) + statistics.variance(b) / len(b))
    return (statistics.mean(a) - statistics.mean(b)) / se if se > 0 else float('nan')


def describe(values):
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f'mean {statistics.mean(values):.4f}, sd {sd:.4f}, range {min(values):.4f}–{max(values):.4f}'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--size', default='100000x384')
    ap.add_argument('--builds', type=int, default=10, help='builds of each side')
    ap.add_argument('--first-build', type=int, default=0,
                    help='the first build\'s number (its --insertion-seed): more builds for an earlier study')
    ap.add_argument('--queries', type=int, default=1000)
    ap.add_argument('--order', default='interleaved', choices=['interleaved', 'by-topic'],
                    help='how the generated records are stored (bench_data.mjs)')
    ap.add_argument('--sides', default='tool,shuffled,float32,stored,chroma')
    args = ap.parse_args()
    sides = set(args.sides.split(',')) | {'tool'}
    _, _, work, data = legacy_data(args.size, args.order)
    threads = os.cpu_count()
    by = '' if args.order == 'interleaved' else args.order + '-'
    queries_json = os.path.join(work, f'recall-queries-{by}{args.queries}.json')
    if not os.path.exists(queries_json):
        subprocess.run([os.path.join(BUILD, 'hnsw_floor'), data, 'cosine', str(threads), str(args.queries), queries_json,
                        '--queries-only'], check=True, stdout=subprocess.DEVNULL)
    with open(queries_json) as f:
        queries = json.load(f)['queries']
    tool_out = os.path.join(work, 'recall-tool')
    tool, shuffled, float32, stored, chroma = [], [], [], [], []
    # Every build's hits per query (of 10), by side, so that builds can be compared query by
    # query afterwards: rewritten after every build, so a study cut short keeps what it measured.
    first = args.first_build
    hits_json = os.path.join(work, f'recall-study-{by}{args.queries}' + (f'-from{first}' if first else '') + '.json')
    per_query = {}

    def score(side, persist_dir):
        hits = recall_hits(persist_dir, queries)
        per_query.setdefault(side, []).append(hits)
        with open(hits_json, 'w') as f:
            json.dump(per_query, f)
        return sum(hits) / (10 * len(queries))

    def tool_build(side, *extra):
        shutil.rmtree(tool_out, ignore_errors=True)
        seconds, _ = run_measured([os.path.join(BUILD, 'chroma-migrate'), '--from', data, '--to', tool_out,
                                   '--progress', 'none', '--quiet', '--rebuild-index', *extra])
        return score(side, tool_out), seconds

    for i in range(first, first + args.builds):
        r, tool_s = tool_build('tool', '--insertion-seed', str(i))
        tool.append(r)
        line = f'build {i + 1}/{first + args.builds}: recall@10 tool {tool[-1]:.4f} ({tool_s:.1f} s)'
        if 'shuffled' in sides:
            r, shuffled_s = tool_build('shuffled', '--insertion-seed', str(i), '--insertion-order', 'shuffled')
            shuffled.append(r)
            line += f', shuffled {shuffled[-1]:.4f} ({shuffled_s:.1f} s)'
        if 'float32' in sides:
            r, f32_s = tool_build('float32', '--insertion-seed', str(i), '--build-arithmetic', 'float32')
            float32.append(r)
            line += f', float32 {float32[-1]:.4f} ({f32_s:.1f} s)'
        if 'stored' in sides:
            r, stored_s = tool_build('stored', '--insertion-order', 'stored')
            stored.append(r)
            line += f', stored order {stored[-1]:.4f} ({stored_s:.1f} s)'
        if 'chroma' in sides:
            seconds, chroma_dir = chroma_ingest(data, work)
            chroma.append(score('chroma', chroma_dir))
            shutil.rmtree(chroma_dir, ignore_errors=True)
            line += f', Chroma {chroma[-1]:.4f} (its ingest {seconds:.1f} s)'
        print(line, flush=True)
    shutil.rmtree(tool_out, ignore_errors=True)
    print()
    print(f'{args.size} stored {args.order}, cosine, M=16, ef_construction=100, queried through the real server '
          f'(ef_search 100), {len(queries)} queries, {threads} threads, {args.builds} builds a side:')
    print(f'  this tool:                  {describe(tool)}')
    others = [(name, values) for name, values in (('shuffled', shuffled), ('float32', float32), ('stored order', stored),
                                                  ('Chroma', chroma)) if values]
    for name, values in others:
        print(f'  this tool, {name + ":":<16} {describe(values)}' if name != 'Chroma' else
              f'  Chroma\'s own ingest:        {describe(values)}')
    for name, other in others:
        print(f'  difference of means (tool − {name}) {statistics.mean(tool) - statistics.mean(other):+.4f}, '
              f'Welch\'s t {welch_t(tool, other):+.2f}, two-sided permutation p = {permutation_p(tool, other):.3f}')
    for name, other in (('shuffled', shuffled), ('float32', float32)):
        if other:
            print(f'  paired by seed (tool − {name}, build i against build i): mean difference '
                  f'{statistics.mean(tool) - statistics.mean(other):+.4f}, sign-flip p = {paired_p(tool, other):.3f}')
    print(f'  per query, every build: {hits_json}')
    print(f'  per build: tool {json.dumps(tool)}; ' + '; '.join(f'{name} {json.dumps(v)}' for name, v in others))


if __name__ == '__main__':
    main()
