// The server Searcher of verify.h: the destination server's own query endpoint.
#include <fmt/format.h>

#include "chroma/api_client.h"
#include "pipeline/verify.h"

namespace cm {
namespace {

class ServerSearcher final : public Searcher {
 public:
  explicit ServerSearcher(std::unique_ptr<ApiClient> api) : api_(std::move(api)) {}

  Result<std::vector<std::vector<std::string>>> Query(const CollectionSpec& c, const std::vector<std::vector<float>>& queries,
                                                      size_t k) override {
    CM_ASSIGN_OR_RETURN(auto remote, api_->GetCollection(c.name));
    if (!remote) return Status::NotFound(fmt::format("collection \"{}\" is not on the server", c.name));
    std::vector<std::vector<std::string>> out;
    for (size_t start = 0; start < queries.size(); start += 25) {
      std::vector<std::vector<float>> chunk(queries.begin() + static_cast<long>(start),
                                            queries.begin() + static_cast<long>(std::min(queries.size(), start + 25)));
      CM_ASSIGN_OR_RETURN(auto ids, api_->Query(*remote, chunk, k));
      for (auto& row : ids) out.push_back(std::move(row));
    }
    return out;
  }

 private:
  std::unique_ptr<ApiClient> api_;
};

}  // namespace

Result<std::unique_ptr<Searcher>> OpenServerSearcher(const std::string& url, const EndpointOptions& options) {
  CM_ASSIGN_OR_RETURN(auto api, ApiClient::Connect(url, options));
  return std::unique_ptr<Searcher>(std::make_unique<ServerSearcher>(std::move(api)));
}

}  // namespace cm
