// ModernSchema: which Chroma 0.4.0–1.x schema a chroma.sqlite3 file is at, learned from the
// `migrations` table (dir, version and *filename*: the dev-branch metadb 4 "00004-segment_id"
// shares its number with the released "00004-metadata-indices") and from the tables and
// columns actually present, so that readers select columns by name and never by position.
// modern-format.md §1 lists the files; §8 the reader recipe.
//
// Plain value; DetectModernSchema only reads (it runs SELECTs on the given Db).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "chroma/sqlite_db.h"
#include "core/status.h"

namespace cm {

struct AppliedMigration {
  std::string dir;
  int version = 0;
  std::string filename;
};

struct ModernSchema {
  std::vector<AppliedMigration> migrations;  // by dir, then version
  int sysdb = 0, metadb = 0, queue = 0;      // the highest version applied per dir
  bool dev_segment_id_metadata = false;      // metadb 00004-segment_id (embedding_metadata.segment_id)
  std::map<std::string, std::set<std::string>> columns;  // table -> column names
  std::vector<std::string> unknown_migrations;          // "metadb/00007-x.sqlite.sql"

  bool HasTable(const std::string& t) const { return columns.count(t) > 0; }
  bool HasColumn(const std::string& t, const std::string& c) const;
  // The Chroma releases that write this schema, e.g. "0.5.6–0.6.3".
  std::string ReleaseRange() const;
  // "Chroma 1.0–1.2 schema (sysdb 9, metadb 5, embeddings_queue 2)".
  std::string Describe() const;
};

// NotFound when the file is not a Chroma ≥ 0.4 database (no migrations table, or a required
// table missing), naming the file and the table.
Result<ModernSchema> DetectModernSchema(Db& db);

}  // namespace cm
