#include "chroma/modern_schema.h"

#include <fmt/format.h>

#include <fmt/ranges.h>

#include <algorithm>

namespace cm {
namespace {

// Every migration file of a release (modern-format.md §1.1) plus the dev-branch variant.
const std::set<std::string>& KnownMigrations() {
  static const std::set<std::string> known = {
      "sysdb/00001-collections.sqlite.sql",
      "sysdb/00002-segments.sqlite.sql",
      "sysdb/00003-collection-dimension.sqlite.sql",
      "sysdb/00004-tenants-databases.sqlite.sql",
      "sysdb/00005-remove-topic.sqlite.sql",
      "sysdb/00006-collection-segment-metadata.sqlite.sql",
      "sysdb/00007-collection-config.sqlite.sql",
      "sysdb/00008-maintenance-log.sqlite.sql",
      "sysdb/00009-segment-collection-not-null.sqlite.sql",
      "sysdb/00010-collection-schema.sqlite.sql",
      "metadb/00001-embedding-metadata.sqlite.sql",
      "metadb/00002-embedding-metadata.sqlite.sql",
      "metadb/00003-full-text-tokenize.sqlite.sql",
      "metadb/00004-metadata-indices.sqlite.sql",
      "metadb/00004-segment_id.sqlite.sql",
      "metadb/00005-max-seq-id-int.sqlite.sql",
      "metadb/00006-metadata-array-support.sqlite.sql",
      "embeddings_queue/00001-embeddings.sqlite.sql",
      "embeddings_queue/00002-embeddings-queue-config.sqlite.sql",
  };
  return known;
}

const char* const kRequiredTables[] = {"collections", "segments", "embeddings", "embedding_metadata", "max_seq_id",
                                       "embeddings_queue"};

}  // namespace

bool ModernSchema::HasColumn(const std::string& t, const std::string& c) const {
  auto it = columns.find(t);
  return it != columns.end() && it->second.count(c) > 0;
}

std::string ModernSchema::ReleaseRange() const {
  if (dev_segment_id_metadata) return "a 0.4.x development build";
  if (metadb >= 6) return "1.5+";
  if (sysdb >= 10) return "1.3–1.4";
  if (metadb == 5) return "1.0–1.2";
  if (sysdb >= 8 || queue >= 2 || metadb == 4) return "0.5.6–0.6.3";
  if (sysdb == 7) return "0.5.4–0.5.5";
  if (sysdb == 6) return "0.5.1–0.5.3";
  if (sysdb == 5) return "0.5.0";
  if (sysdb == 4) return "0.4.15–0.4.24";
  if (metadb == 3) return "0.4.6–0.4.14";
  if (metadb == 2) return "0.4.4–0.4.5";
  return "0.4.0–0.4.3";
}

std::string ModernSchema::Describe() const {
  std::string s = fmt::format("Chroma {} schema (sysdb {}, metadb {}{}, embeddings_queue {})", ReleaseRange(), sysdb,
                              metadb, dev_segment_id_metadata ? " = 00004-segment_id" : "", queue);
  if (!unknown_migrations.empty()) {
    s += fmt::format("; unknown migrations: {}", fmt::join(unknown_migrations, ", "));
  }
  return s;
}

Result<ModernSchema> DetectModernSchema(Db& db) {
  ModernSchema schema;
  {
    CM_ASSIGN_OR_RETURN(Stmt st, db.Prepare("SELECT name FROM sqlite_master WHERE type = 'table'"));
    bool row = false;
    std::vector<std::string> tables;
    while (true) {
      CM_RETURN_IF_ERROR(st.Step(&row));
      if (!row) break;
      tables.push_back(st.ColumnText(0));
    }
    CM_ASSIGN_OR_RETURN(Stmt cols, db.Prepare("SELECT name FROM pragma_table_info(?)"));
    for (const std::string& t : tables) {
      CM_RETURN_IF_ERROR(cols.BindText(1, t));
      auto& set = schema.columns[t];
      while (true) {
        CM_RETURN_IF_ERROR(cols.Step(&row));
        if (!row) break;
        set.insert(cols.ColumnText(0));
      }
      cols.Reset();
    }
  }
  if (!schema.HasTable("migrations")) {
    return Status::NotFound(fmt::format("{}: no `migrations` table; this is not a Chroma ≥ 0.4 database", db.path()));
  }
  for (const char* t : kRequiredTables) {
    if (!schema.HasTable(t)) {
      return Status::NotFound(fmt::format("{}: table `{}` is missing; every Chroma 0.4–1.x database has it", db.path(), t));
    }
  }
  CM_ASSIGN_OR_RETURN(Stmt st, db.Prepare("SELECT dir, version, filename FROM migrations ORDER BY dir, version"));
  bool row = false;
  while (true) {
    CM_RETURN_IF_ERROR(st.Step(&row));
    if (!row) break;
    AppliedMigration m{st.ColumnText(0), static_cast<int>(st.ColumnInt(1)), st.ColumnText(2)};
    if (m.dir == "sysdb") schema.sysdb = std::max(schema.sysdb, m.version);
    if (m.dir == "metadb") schema.metadb = std::max(schema.metadb, m.version);
    if (m.dir == "embeddings_queue") schema.queue = std::max(schema.queue, m.version);
    if (m.dir == "metadb" && m.filename == "00004-segment_id.sqlite.sql") schema.dev_segment_id_metadata = true;
    std::string key = m.dir + "/" + m.filename;
    if (!KnownMigrations().count(key)) schema.unknown_migrations.push_back(key);
    schema.migrations.push_back(std::move(m));
  }
  return schema;
}

}  // namespace cm
