// Fuzz target: the Parquet reader on arbitrary bytes, opened as a file (it maps files). Every
// column is read to the end as strings or as double lists; errors are fine, crashes are not.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "formats/parquet/parquet_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int fd = memfd_create("parquet-fuzz", 0);
  if (fd < 0) return 0;
  if (size > 0 && write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return 0;
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  auto reader = cm::parquet::FileReader::Open(path);
  if (reader.ok()) {
    for (const auto& field : (*reader)->fields()) {
      auto column = (*reader)->OpenColumn(field.name);
      if (!column.ok()) continue;
      for (int round = 0; round < 1000; ++round) {
        if (field.leaf_type == cm::parquet::PhysicalType::kByteArray && !field.is_list) {
          std::vector<std::optional<std::string>> out;
          if (!(*column)->ReadStrings(257, &out).ok() || out.empty()) break;
        } else {
          cm::parquet::DoubleListBatch out;
          if (!(*column)->ReadDoubleLists(257, &out).ok() || out.rows() == 0) break;
        }
      }
    }
  }
  close(fd);
  return 0;
}
