#pragma once
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <stdexcept>
#include <string>

namespace elstm {

// A YAML text the config reader cannot use, at `mark` (null when there is no position).
class YamlDocumentError : public std::runtime_error {
public:
    YamlDocumentError(const std::string& what, const YAML::Mark& mark, bool second_document = false)
        : std::runtime_error(what), mark(mark), second_document(second_document) {}
    YAML::Mark mark;
    bool second_document;  // the text holds more than one document
};

// Values a document may hold, each use of an alias counted: far above any configuration, and
// a bound on what a few aliases of aliases can expand to.
constexpr std::size_t kMaxYamlValues = 100000;

// The one document in `text`, with every alias expanded into a copy of its own, so that
// changing one use (a --set) leaves the others alone. Throws YamlDocumentError on a syntax
// error, nesting deeper than yaml-cpp parses, a second document (after `---` or after a
// complete flow value), an alias inside what it names, or more than kMaxYamlValues values.
YAML::Node load_yaml_document(const std::string& text);

}  // namespace elstm
