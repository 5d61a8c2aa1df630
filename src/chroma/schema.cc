#include "chroma/schema.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>

#include "chroma/embedded_files.h"

namespace cm {

std::string Md5Hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &len, EVP_md5(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

Result<std::vector<MigrationFile>> SchemaMigrations(const std::string& release) {
  static const std::array<const char*, 3> kDirOrder = {"sysdb", "metadb", "embeddings_queue"};
  std::vector<MigrationFile> files;
  for (const char* dir : kDirOrder) {
    std::string prefix = release + "/" + dir + "/";
    std::vector<MigrationFile> in_dir;
    for (const EmbeddedFile& f : EmbeddedSchemaFiles()) {
      std::string path = f.path;
      if (path.rfind(prefix, 0) != 0) continue;
      MigrationFile m;
      m.dir = dir;
      m.filename = path.substr(prefix.size());
      m.version = std::stoi(m.filename.substr(0, m.filename.find('-')));
      m.sql = std::string(f.bytes());
      m.sql.erase(std::remove(m.sql.begin(), m.sql.end(), '\r'), m.sql.end());
      m.md5_hex = Md5Hex(m.sql);
      in_dir.push_back(std::move(m));
    }
    std::sort(in_dir.begin(), in_dir.end(),
              [](const MigrationFile& a, const MigrationFile& b) { return a.version < b.version; });
    for (auto& m : in_dir) files.push_back(std::move(m));
  }
  if (files.empty()) return Status::NotFound(fmt::format("no embedded Chroma schema for release {}", release));
  return files;
}

Status ApplyChromaSchema(Db& db, const std::string& release) {
  CM_ASSIGN_OR_RETURN(auto files, SchemaMigrations(release));
  // The same statement Chroma (Python SqliteDB.setup_migrations, Rust initialize_migrations_table)
  // runs before any migration.
  CM_RETURN_IF_ERROR(db.Exec(
      "CREATE TABLE IF NOT EXISTS migrations (dir TEXT NOT NULL, version INTEGER NOT NULL, "
      "filename TEXT NOT NULL, sql TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (dir, version))"));
  CM_ASSIGN_OR_RETURN(Stmt insert, db.Prepare(
      "INSERT INTO migrations (dir, version, filename, sql, hash) VALUES (?, ?, ?, ?, ?)"));
  for (const MigrationFile& m : files) {
    Status s = db.Exec(m.sql);
    if (!s.ok()) return s.WithContext(fmt::format("applying Chroma migration {}/{}", m.dir, m.filename));
    CM_RETURN_IF_ERROR(insert.BindText(1, m.dir));
    CM_RETURN_IF_ERROR(insert.BindInt(2, m.version));
    CM_RETURN_IF_ERROR(insert.BindText(3, m.filename));
    CM_RETURN_IF_ERROR(insert.BindText(4, m.sql));
    CM_RETURN_IF_ERROR(insert.BindText(5, m.md5_hex));
    CM_RETURN_IF_ERROR(insert.Run());
  }
  return Status::Ok();
}

}  // namespace cm
