#include "cli/deployment_access.h"

#include <cstdio>
#include <filesystem>
#include <utility>

#include "store/sqlite_store.h"

namespace hardline::cli {

void print_error(const std::string& text) {
  std::fprintf(stderr, "hardline: %s\n", text.c_str());
}

std::optional<config::Config> load_config_or_report(const std::string& path) {
  const std::filesystem::path file =
      path.empty() ? config::default_config_path() : std::filesystem::path(path);
  auto loaded = config::load_config(file);
  if (!loaded) {
    print_error(loaded.error().to_string());
    return std::nullopt;
  }
  return std::move(*loaded);
}

std::unique_ptr<store::Store> open_store_or_report(const config::Config& config) {
  auto store = store::open_sqlite(config.store.database, store::OpenMode::kExisting);
  if (!store) {
    print_error(config.store.database.string() + ": " + std::string(store.error().what));
    return nullptr;
  }
  return std::move(*store);
}

}  // namespace hardline::cli
