#include <elstm_vp/platform/yaml_tree.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include <elstm_vp/platform/yaml_document.hpp>

namespace elstm::yaml_tree {

std::string comma_list(const std::vector<std::string>& names) {
    std::string s;
    for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
    return s;
}

// "1 layer", "2 layers".
std::string count(std::size_t n, const std::string& noun) {
    return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

bool is_identifier(const std::string& s) {
    auto head = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
    auto tail = [&](char c) { return head(c) || std::isdigit(static_cast<unsigned char>(c)); };
    if (s.empty() || !head(s[0])) return false;
    for (char c : s)
        if (!tail(c)) return false;
    return true;
}

// An unsigned integer, decimal or 0x hex.
std::optional<std::uint64_t> parse_uint(std::string_view s) {
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s.remove_prefix(2);
    }
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

std::optional<double> parse_double(std::string_view s) {
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

Schema leaf() { return {}; }

Schema map_of(std::vector<std::pair<std::string, Schema>> keys) {
    Schema s;
    s.kind = Schema::Kind::map;
    s.keys = std::move(keys);
    return s;
}

Schema list_of(Schema element) {
    Schema s;
    s.kind = Schema::Kind::list;
    s.element = std::make_shared<const Schema>(std::move(element));
    return s;
}

Schema leaves(std::initializer_list<const char*> names) {
    Schema s = map_of({});
    for (const char* n : names) s.keys.emplace_back(n, leaf());
    return s;
}
std::string describe(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) return "nothing";
    if (node.IsMap()) return "a map";
    if (node.IsSequence()) return "a list";
    return "'" + node.Scalar() + "'";
}

// Every key must be in the schema and every map and list where the schema has one. An empty
// value (`trace:`) counts as an empty map or list.
void check_keys(const Item& it, const Schema& s) {
    const YAML::Node& node = it.node();
    if (s.kind == Schema::Kind::leaf || node.IsNull()) return;
    if (s.kind == Schema::Kind::list) {
        if (!node.IsSequence()) it.fail("expected a list, got " + describe(node));
        for (std::size_t i = 0; i < node.size(); ++i) check_keys(it[i], *s.element);
        return;
    }
    if (!node.IsMap()) it.fail("expected a map (keys: " + s.key_list() + "), got " + describe(node));
    std::map<std::string, int> seen;  // key → its line
    for (const auto& kv : node) {
        if (!kv.first.IsScalar()) it.fail("a key must be a name, got " + describe(kv.first));
        const Item key = it.key(kv.first);
        if (auto [first, inserted] = seen.emplace(kv.first.Scalar(), kv.first.Mark().line + 1); !inserted)
            key.fail("duplicate key (first at line " + std::to_string(first->second) + ")");
        const Schema* child = s.find(kv.first.Scalar());
        if (!child) {
            const std::string level = it.path().empty() ? "at the top level" : "of " + it.path();
            key.fail("unknown key; valid keys " + level + ": " + s.key_list());
        }
        check_keys(it.entry(kv.first, kv.second), *child);
    }
}

// ---- Reading the file and applying --set

YAML::Node parse_file(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw ConfigError(path + ": cannot open (it is a directory)");
    std::ifstream in(path);
    if (!in) throw ConfigError(path + ": cannot open (" + std::strerror(errno) + ")");
    std::ostringstream text;
    text << in.rdbuf();
    try {
        return load_yaml_document(text.str());
    } catch (const YamlDocumentError& e) {
        if (e.mark.is_null()) throw ConfigError(path + ": " + e.what());
        throw ConfigError(path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                          ": " + e.what());
    }
}

// One step of a --set key path: a map key, or a list index (`pes[2]`).
struct PathStep {
    std::string key;
    std::optional<std::size_t> index;
};

// `a.b[2].c` → a, b, [2], c. Empty on a malformed path.
std::vector<PathStep> parse_key_path(const std::string& key) {
    if (key.empty() || key.back() == '.') return {};
    std::vector<PathStep> steps;
    std::istringstream in(key);
    for (std::string part; std::getline(in, part, '.');) {
        const std::size_t bracket = std::min(part.find('['), part.size());
        if (!is_identifier(part.substr(0, bracket))) return {};
        steps.push_back({part.substr(0, bracket), std::nullopt});
        for (std::string rest = part.substr(bracket); !rest.empty();) {
            const std::size_t close = rest.find(']');
            const std::optional<std::uint64_t> index =
                close == std::string::npos ? std::nullopt : parse_uint(std::string_view(rest).substr(1, close - 1));
            if (rest[0] != '[' || !index) return {};
            steps.push_back({"", static_cast<std::size_t>(*index)});
            rest.erase(0, close + 1);
        }
    }
    return steps;
}

[[noreturn]] void set_error(const std::string& text, const std::string& what) {
    throw ConfigError("--set " + text + ": " + what);
}

// The schema below one step, or null when the step names nothing there.
const Schema* schema_step(const Schema& s, const PathStep& step) {
    if (step.index) return s.kind == Schema::Kind::list ? s.element.get() : nullptr;
    return s.kind == Schema::Kind::map ? s.find(step.key) : nullptr;
}

std::string unknown_key_hint(const Schema& s, const std::string& path, const PathStep& step) {
    const std::string where = path.empty() ? "at the top level" : "of " + path;
    if (s.kind == Schema::Kind::map && step.index)
        return "; " + (path.empty() ? "the top level" : path) + " is not a list";
    if (s.kind == Schema::Kind::map) return "; valid keys " + where + ": " + s.key_list();
    if (s.kind == Schema::Kind::list) return "; " + path + " is a list: use " + path + "[N]";
    return "; " + path + " takes a whole value";
}

// A --set value is YAML, so `[3,2]` is a list and `{lanes: 8}` a map; nothing is an empty string.
// It is one value on one line: a line break could only smuggle in more keys.
YAML::Node parse_value(const std::string& text, const std::string& value) {
    if (value.empty()) return YAML::Node(std::string());
    if (const std::size_t eol = value.find_first_of("\r\n"); eol != std::string::npos)
        throw ConfigError("--set " + text.substr(0, text.size() - value.size() + eol) +
                          "...: the value has a line break; give one value on one line");
    try {
        return load_yaml_document(value);
    } catch (const YamlDocumentError& e) {
        if (e.second_document)
            set_error(text, "more follows the value, from column " + std::to_string(e.mark.column + 1) +
                                "; give one YAML value");
        set_error(text, std::string("the value: ") + e.what());
    }
}

void apply_override(Context& ctx, YAML::Node& root, const Schema& root_schema, const std::string& text) {
    const std::size_t eq = text.find('=');
    if (eq == std::string::npos) set_error(text, "expected KEY=VALUE");
    const std::string key = text.substr(0, eq), value_text = text.substr(eq + 1);
    const std::vector<PathStep> steps = parse_key_path(key);
    if (steps.empty()) set_error(text, "'" + key + "' is not a key path (names joined by '.', list entries as [N])");
    const YAML::Node value = parse_value(text, value_text);

    if (!root.IsDefined() || root.IsNull()) root.reset(YAML::Node(YAML::NodeType::Map));
    const Schema* s = &root_schema;
    YAML::Node cur = root;
    std::string path;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const PathStep& step = steps[i];
        const std::string here = step.index ? path + "[" + std::to_string(*step.index) + "]" : join(path, step.key);
        const Schema* next = schema_step(*s, step);
        if (!next) set_error(text, "unknown key '" + here + "' (--set)" + unknown_key_hint(*s, path, step));
        if (cur.IsNull()) cur = YAML::Node(step.index ? YAML::NodeType::Sequence : YAML::NodeType::Map);
        if (step.index ? !cur.IsSequence() : !cur.IsMap())
            Item(ctx, cur, path, cur.Mark()).fail(std::string("expected a ") + (step.index ? "list" : "map") +
                                                  ", got " + describe(cur));
        if (step.index && *step.index >= cur.size())
            set_error(text, "no entry " + here + " (" + path + " has " + std::to_string(cur.size()) + ")");
        const bool last = i + 1 == steps.size();
        YAML::Node child = step.index ? cur[*step.index] : cur[step.key];
        if (last || !child.IsDefined()) {
            // A new map on the way down, or the value itself: both come from this --set.
            child = last                 ? value
                    : steps[i + 1].index ? YAML::Node(YAML::NodeType::Sequence)
                                         : YAML::Node(YAML::NodeType::Map);
            ctx.record(here, text);
        }
        cur.reset(child);
        s = next;
        path = here;
    }
}

// The text of a scalar; a required key that is absent fails here.
const std::string& scalar(const Item& it, const std::string& expected) {
    if (!it.present()) it.fail("required key is missing");
    if (!it.node().IsScalar()) it.fail("expected " + expected + ", got " + describe(it.node()));
    return it.node().Scalar();
}

// A number must be written as one: "30" in quotes is a string.
const std::string& plain_scalar(const Item& it, const std::string& expected) {
    const std::string& s = scalar(it, expected);
    if (it.node().Tag() == "!") it.fail("expected " + expected + ", got the quoted string \"" + s + "\"");
    return s;
}

std::string uint_range(std::uint64_t min, std::uint64_t max) {
    if (max == kMaxU64) return ">= " + std::to_string(min);
    return "in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
}

std::uint64_t get_uint(const Item& it, std::uint64_t min, std::uint64_t max) {
    const std::string expected = "an integer " + uint_range(min, max);
    const std::string& s = plain_scalar(it, expected);
    const std::optional<std::uint64_t> v = parse_uint(s);
    if (!v) {
        const std::optional<double> d = parse_double(s);
        if (d && *d < 0) it.fail(s + " is negative; expected " + expected);
        if (s.find_first_not_of("0123456789") == std::string::npos) it.fail(s + " is too large; expected " + expected);
        if (d && *d != std::floor(*d)) it.fail(s + " is not an integer; expected " + expected);
        it.fail("expected " + expected + ", got '" + s + "'");
    }
    if (*v < min || *v > max) it.fail(s + " is out of range; expected " + expected);
    return *v;
}

double get_double(const Item& it, const Interval& range) {
    const std::string expected = "a number " + range.text();
    const std::string& s = plain_scalar(it, expected);
    const std::optional<double> v = parse_double(s);
    if (!v || !std::isfinite(*v)) it.fail("expected " + expected + ", got '" + s + "'");
    if (!range.contains(*v)) it.fail(s + " is out of range; expected " + expected);
    return *v;
}

void read_bool(const Item& it, bool& field) {
    if (!it.present()) return;
    plain_scalar(it, "true or false");
    if (!YAML::convert<bool>::decode(it.node(), field)) it.fail("expected true or false, got " + describe(it.node()));
}

// Any scalar is a string; an empty value (`key:`) is the empty string.
std::string get_string(const Item& it) {
    if (it.present() && it.node().IsNull()) return "";
    return scalar(it, "a string");
}

void read_string(const Item& it, std::string& field) {
    if (it.present()) field = get_string(it);
}

// Bytes: an integer, or an integer with a KiB, MiB or GiB suffix.
std::uint64_t get_size(const Item& it, std::uint64_t min, std::uint64_t max) {
    const std::string expected = "a size in bytes (an integer, or with a KiB, MiB or GiB suffix)";
    std::string s = plain_scalar(it, expected);
    unsigned shift = 0;
    for (const auto& [suffix, bits] : {std::pair{"KiB", 10u}, std::pair{"MiB", 20u}, std::pair{"GiB", 30u}})
        if (s.size() > 3 && s.compare(s.size() - 3, 3, suffix) == 0) {
            s.resize(s.size() - 3);
            shift = bits;
        }
    if (shift && s.back() == ' ') s.pop_back();
    const std::optional<std::uint64_t> v = parse_uint(s);
    if (!v) it.fail("expected " + expected + ", got '" + it.node().Scalar() + "'");
    if (*v > (max >> shift) || (*v << shift) < min)
        it.fail(it.node().Scalar() + " is out of range; expected a size " + uint_range(min, max) + " bytes");
    return *v << shift;
}

void check_layer_count(const Item& it, std::size_t layers) {
    if (it.node().IsSequence() && it.size() != layers)
        it.fail("the list has " + count(it.size(), "value") + " but the workload has " + count(layers, "layer") +
                " (give one per layer, or a single value for all)");
}

void check_conflict(const Item& a, const Item& b) {
    if (a.present() && b.present())
        b.fail("conflicts with " + a.path() + " (" + a.where() + "); give only one of them");
}

}  // namespace elstm::yaml_tree
