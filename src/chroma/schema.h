// Chroma's SQLite schema, applied exactly as Chroma applies it.
//
// ApplyChromaSchema runs the embedded migration files of one release line (default "1.0.0",
// the set every Chroma 1.x accepts: 1.3+ and 1.5+ upgrade it themselves, while 1.0–1.2.1 panic
// on a newer set) in Chroma's order sysdb, metadb, embeddings_queue, and records each in the
// `migrations` table as (dir, version, filename, exact text, md5 of the text with CR removed).
// Chroma validates both hash and text on every start; nothing here may alter a byte.
#pragma once

#include <string>
#include <vector>

#include "chroma/sqlite_db.h"
#include "core/status.h"

namespace cm {

inline constexpr const char* kDefaultSchemaRelease = "1.0.0";

struct MigrationFile {
  std::string dir;       // sysdb | metadb | embeddings_queue
  int version = 0;       // the numeric filename prefix
  std::string filename;  // e.g. 00001-collections.sqlite.sql
  std::string sql;       // exact text, CR removed
  std::string md5_hex;   // what Chroma stores in migrations.hash
};

// The release's files in application order; NotFound when the release is not embedded.
Result<std::vector<MigrationFile>> SchemaMigrations(const std::string& release);

// Lowercase hex md5 of `bytes` (Chroma's migration hash).
std::string Md5Hex(std::string_view bytes);

Status ApplyChromaSchema(Db& db, const std::string& release = kDefaultSchemaRelease);

}  // namespace cm
