// How much of building Chroma's full-text index is the trigram tokenizer, and how much FTS5's
// in-memory hash of postings (docs/performance.md, note 14): the floor a native FTS5 segment
// writer would have, measured before writing one (it is now src/formats/fts5/, used by
// chroma/fulltext_index.h).
//
// For the same generated documents (made-up words of 2-10 letters from a 5,000-word vocabulary,
// as bench/fts_study.py and scripts/engines/bench_data.mjs make them), in one process:
//   1. SQLite's own trigram tokenizer alone (fts5_api xFindTokenizer, the tokens Chroma's index
//      holds), counting tokens;
//   2. the same, each token's position appended to its term's postings (a hash table keyed by
//      the whole token), then the terms sorted: what a writer would do before laying out pages;
//   3. FTS5 itself: the documents inserted into a table as Chroma declares it
//      (fts5(string_value, tokenize='trigram')) with the tool's 8 MiB hash, in one transaction.
//
// usage: build/fts_token_study [DOCUMENTS [CHARACTERS]]   (default 20000 1000)
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<std::string> Documents(size_t count, size_t chars) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> letter(0, 25), length(2, 10), pick(0, 4999);
  std::vector<std::string> vocabulary(5000);
  for (auto& w : vocabulary) {
    for (int i = length(rng); i > 0; --i) w.push_back(static_cast<char>('a' + letter(rng)));
  }
  std::vector<std::string> docs(count);
  for (auto& d : docs) {
    while (d.size() < chars) {
      if (!d.empty()) d.push_back(' ');
      d += vocabulary[static_cast<size_t>(pick(rng))];
    }
    d.resize(chars);
  }
  return docs;
}

struct Postings {
  std::unordered_map<std::string, std::vector<uint32_t>> terms;  // (rowid, position) pairs, flattened
  uint32_t rowid = 0, position = 0;
};

// The way a writer would gather them: each token (up to 7 bytes: a trigram of ASCII or of
// two-byte characters; longer ones are only counted here) packed into an integer, given a dense
// id by an open-addressing table with a multiplicative hash, and (id, rowid, position) appended
// to one array, which a counting sort by id then groups term by term, keeping each term's
// postings in rowid and position order.
struct Triplets {
  static constexpr size_t kSlots = size_t{1} << 20;
  std::vector<uint64_t> keys = std::vector<uint64_t>(kSlots, 0);
  std::vector<uint32_t> ids = std::vector<uint32_t>(kSlots, 0);
  uint32_t terms = 0;  // ids given so far
  struct Entry {
    uint32_t id, rowid, position;
  };
  std::vector<Entry> entries;
  uint32_t rowid = 0, position = 0;
  size_t longer = 0;  // tokens over 7 bytes (none in this text)
};

int AddTriplet(void* ctx, int, const char* token, int n, int, int) {
  auto* t = static_cast<Triplets*>(ctx);
  if (n > 7) {
    ++t->longer;
    ++t->position;
    return SQLITE_OK;
  }
  uint64_t key = 0;  // the bytes, then the length in the top byte: distinct, and never 0
  std::memcpy(&key, token, static_cast<size_t>(n));
  key |= static_cast<uint64_t>(n) << 56;
  size_t slot = static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 44);
  while (t->keys[slot] != key && t->keys[slot] != 0) slot = (slot + 1) & (Triplets::kSlots - 1);
  if (t->keys[slot] == 0) {
    t->keys[slot] = key;
    t->ids[slot] = t->terms++;
  }
  t->entries.push_back({t->ids[slot], t->rowid, t->position++});
  return SQLITE_OK;
}

int CountToken(void* ctx, int, const char*, int, int, int) {
  ++*static_cast<size_t*>(ctx);
  return SQLITE_OK;
}

int AddToken(void* ctx, int, const char* token, int n, int, int) {
  auto* p = static_cast<Postings*>(ctx);
  auto& list = p->terms[std::string(token, static_cast<size_t>(n))];
  list.push_back(p->rowid);
  list.push_back(p->position++);
  return SQLITE_OK;
}

bool Check(int rc, sqlite3* db, const char* what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return true;
  std::fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t count = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 20000;
  const size_t chars = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1000;
  const std::vector<std::string> docs = Documents(count, chars);
  sqlite3* db = nullptr;
  if (!Check(sqlite3_open(":memory:", &db), db, "open")) return 1;

  fts5_api* api = nullptr;
  sqlite3_stmt* st = nullptr;
  if (!Check(sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, nullptr), db, "fts5()")) return 1;
  sqlite3_bind_pointer(st, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
  sqlite3_step(st);
  sqlite3_finalize(st);
  if (!api) return std::fprintf(stderr, "no fts5_api\n"), 1;
  void* user = nullptr;
  fts5_tokenizer tokenizer{};
  if (!Check(api->xFindTokenizer(api, "trigram", &user, &tokenizer), db, "trigram tokenizer")) return 1;
  Fts5Tokenizer* trigram = nullptr;
  if (!Check(tokenizer.xCreate(user, nullptr, 0, &trigram), db, "trigram xCreate")) return 1;

  size_t text = 0;
  for (const auto& d : docs) text += d.size();
  std::printf("SQLite %s; %zu documents of %zu characters (%.1f MB)\n", sqlite3_libversion(), count, chars, text / 1e6);

  auto t0 = std::chrono::steady_clock::now();
  size_t tokens = 0;
  for (const auto& d : docs) {
    tokenizer.xTokenize(trigram, &tokens, FTS5_TOKENIZE_DOCUMENT, d.data(), static_cast<int>(d.size()), CountToken);
  }
  const double tokenize = Seconds(t0);
  std::printf("trigram tokenizer alone:           %.3f s (%.0f ns per character), %zu tokens\n", tokenize,
              tokenize / static_cast<double>(text) * 1e9, tokens);

  t0 = std::chrono::steady_clock::now();
  Postings postings;
  postings.terms.reserve(1 << 16);
  for (const auto& d : docs) {
    ++postings.rowid;
    postings.position = 0;
    tokenizer.xTokenize(trigram, &postings, FTS5_TOKENIZE_DOCUMENT, d.data(), static_cast<int>(d.size()), AddToken);
  }
  std::vector<std::string_view> order;
  order.reserve(postings.terms.size());
  for (const auto& [term, list] : postings.terms) order.push_back(term);
  std::sort(order.begin(), order.end());
  const double gather = Seconds(t0);
  std::printf("tokenizer + postings + sorted terms: %.3f s (%.0f ns per character), %zu terms\n", gather,
              gather / static_cast<double>(text) * 1e9, order.size());

  t0 = std::chrono::steady_clock::now();
  Triplets triplets;
  triplets.entries.reserve(tokens);
  for (const auto& d : docs) {
    ++triplets.rowid;
    triplets.position = 0;
    tokenizer.xTokenize(trigram, &triplets, FTS5_TOKENIZE_DOCUMENT, d.data(), static_cast<int>(d.size()), AddTriplet);
  }
  const double gathered = Seconds(t0);
  std::vector<uint32_t> start(size_t{triplets.terms} + 1, 0);
  for (const auto& e : triplets.entries) ++start[e.id + 1];
  for (size_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
  std::vector<Triplets::Entry> grouped(triplets.entries.size());
  for (const auto& e : triplets.entries) grouped[start[e.id]++] = e;
  const double grouped_s = Seconds(t0);
  std::printf("packed keys, one array, counting sort: %.3f s (%.0f ns per character; gathering %.3f s), %zu terms, "
              "%zu longer tokens\n", grouped_s, grouped_s / static_cast<double>(text) * 1e9, gathered,
              size_t{triplets.terms}, triplets.longer);
  tokenizer.xDelete(trigram);

  if (!Check(sqlite3_exec(db,
                          "CREATE VIRTUAL TABLE f USING fts5(string_value, tokenize='trigram');"
                          "INSERT INTO f (f, rank) VALUES ('hashsize', 8388608);",
                          nullptr, nullptr, nullptr),
             db, "create")) {
    return 1;
  }
  t0 = std::chrono::steady_clock::now();
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  if (!Check(sqlite3_prepare_v2(db, "INSERT INTO f (rowid, string_value) VALUES (?, ?)", -1, &st, nullptr), db,
             "insert")) {
    return 1;
  }
  for (size_t i = 0; i < docs.size(); ++i) {
    sqlite3_bind_int64(st, 1, static_cast<sqlite3_int64>(i + 1));
    sqlite3_bind_text(st, 2, docs[i].data(), static_cast<int>(docs[i].size()), SQLITE_STATIC);
    if (!Check(sqlite3_step(st), db, "step")) return 1;
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  if (!Check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit")) return 1;
  const double fts5 = Seconds(t0);
  std::printf("FTS5 insert (8 MiB hash):          %.3f s (%.0f ns per character)\n", fts5,
              fts5 / static_cast<double>(text) * 1e9);
  sqlite3_close(db);
  return 0;
}
