// dialplan.include: the file of routing tables the main config may name, read after it.
#include <fstream>
#include <sstream>

#include "config/checker.h"

namespace hardline::config {

std::filesystem::path included_dialplan_path(const Config& config) {
  const std::filesystem::path include = config.dialplan.include;
  if (include.is_absolute()) return include.lexically_normal();
  return (config.file.parent_path() / include).lexically_normal();
}

Result<void, ConfigError> parse_included_dialplan(std::string_view text,
                                                  const std::filesystem::path& path,
                                                  Config& config) {
  const std::string file = path.string();
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return tl::unexpected(ConfigError{
        file, e.source().begin.line, e.source().begin.column,
        "TOML syntax error: " + std::string(e.description()) + "; " +
            detail::syntax_hint(e.description(),
                                "rules are written [[dialplan.rule]] on a line of their own")});
  }
  detail::Checker checker(file, config, text);
  checker.check_included(root);
  auto& errors = checker.errors();
  if (errors.empty()) errors = detail::check_routing_references(config);
  if (!errors.empty()) {
    return tl::unexpected(*std::min_element(
        errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
          return std::pair(a.line, a.column) < std::pair(b.line, b.column);
        }));
  }
  return {};
}

namespace detail {

Result<std::string, std::string> read_small_file(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::is_regular_file(status)) {
    return tl::unexpected(std::string(
        "cannot find this file (or it is not a regular file): create it or fix the path"));
  }
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec || size > detail::kMaxFileSize) {
    return tl::unexpected(std::string("larger than 1 MiB: check that this is the right file"));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.is_open() || in.bad()) {
    return tl::unexpected(std::string("cannot read it: check that this user may read it"));
  }
  return text.str();
}

}  // namespace detail
}  // namespace hardline::config
