#pragma once
// Reading a YAML tree against a schema of its keys: the file (one document), --set overrides,
// typed values with their ranges, and messages that name the file, line, column and key path, or
// the --set that wrote the value. Nothing here knows the platform's keys (yaml_config.cpp does).
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <elstm_vp/platform/yaml_config.hpp>

namespace elstm::yaml_tree {

inline constexpr std::uint64_t kMaxU64 = std::numeric_limits<std::uint64_t>::max();

std::string comma_list(const std::vector<std::string>& names);
// "1 layer", "2 layers".
std::string count(std::size_t n, const std::string& noun);
bool is_identifier(const std::string& s);
// An unsigned integer, decimal or 0x hex.
std::optional<std::uint64_t> parse_uint(std::string_view s);
std::optional<double> parse_double(std::string_view s);

// ---- The schema: which keys exist. Unknown keys and --set paths are checked against it in
// one place; the typed reading below then only looks keys up.

struct Schema {
    enum class Kind { leaf, map, list } kind = Kind::leaf;
    std::vector<std::pair<std::string, Schema>> keys;  // map: in the order they are listed
    std::shared_ptr<const Schema> element;             // list

    const Schema* find(const std::string& key) const {
        for (const auto& [name, child] : keys)
            if (name == key) return &child;
        return nullptr;
    }
    std::string key_list() const {
        std::vector<std::string> names;
        for (const auto& kv : keys) names.push_back(kv.first);
        return comma_list(names);
    }
};

Schema leaf();
Schema map_of(std::vector<std::pair<std::string, Schema>> keys);
Schema list_of(Schema element);
Schema leaves(std::initializer_list<const char*> names);

// ---- Where a node came from, for messages

inline std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

class Context {
public:
    explicit Context(std::string file) : file_(std::move(file)) {}

    // Records that the subtree at `path` was written by the --set `text`.
    void record(const std::string& path, const std::string& text) { sets_.push_back({path, text}); }

    // The message prefix for the node at `path`, found at `mark` in the file.
    std::string locate(const std::string& path, const YAML::Mark& mark) const {
        if (const Set* s = origin(path)) return "--set " + s->text + ": " + (path == s->path ? "" : path + ": ");
        const std::string key = path.empty() ? "(top level)" : path;
        if (mark.is_null()) return file_ + ": " + key + ": ";
        return file_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) + ": " + key + ": ";
    }

    // A short cross-reference: "line 7" or "--set accel.n_pe=5".
    std::string where(const std::string& path, const YAML::Mark& mark) const {
        if (const Set* s = origin(path)) return "--set " + s->text;
        return mark.is_null() ? file_ : "line " + std::to_string(mark.line + 1);
    }

private:
    struct Set {
        std::string path, text;
    };

    // The --set that wrote `path` or a key above it: the deepest one, the last on ties.
    const Set* origin(const std::string& path) const {
        const Set* best = nullptr;
        for (const Set& s : sets_) {
            const bool covers = path.compare(0, s.path.size(), s.path) == 0 &&
                                (path.size() == s.path.size() || path[s.path.size()] == '.' ||
                                 path[s.path.size()] == '[');
            if (covers && (!best || s.path.size() >= best->path.size())) best = &s;
        }
        return best;
    }

    std::string file_;
    std::vector<Set> sets_;
};

// One node of the tree with its key path and the mark to report it at. A key that is
// absent gives an Item that is not present(), reported at its parent.
class Item {
public:
    Item(const Context& ctx, YAML::Node node, std::string path, YAML::Mark mark)
        : ctx_(&ctx), node_(std::move(node)), path_(std::move(path)), mark_(mark) {}

    bool present() const { return node_.IsDefined(); }
    const YAML::Node& node() const { return node_; }
    const std::string& path() const { return path_; }
    std::size_t size() const { return node_.IsSequence() ? node_.size() : 0; }

    Item operator[](const std::string& key) const {
        if (node_.IsMap())
            for (const auto& kv : node_)
                if (kv.first.Scalar() == key) return entry(kv.first, kv.second);
        return Item(*ctx_, YAML::Node(YAML::NodeType::Undefined), join(path_, key), mark_);
    }
    Item operator[](std::size_t index) const {
        return child(node_[index], path_ + "[" + std::to_string(index) + "]", mark_);
    }
    // The value of one map entry, and its key (for messages about the key itself).
    Item entry(const YAML::Node& key, const YAML::Node& value) const {
        return child(value, join(path_, key.Scalar()), key.Mark());
    }
    Item key(const YAML::Node& key) const { return Item(*ctx_, key, join(path_, key.Scalar()), key.Mark()); }

    [[noreturn]] void fail(const std::string& what) const { throw ConfigError(ctx_->locate(path_, mark_) + what); }
    std::string where() const { return ctx_->where(path_, mark_); }

private:
    // An empty value (`key:`) is reported at its key: yaml-cpp marks it where the next token starts.
    Item child(const YAML::Node& value, std::string path, const YAML::Mark& key_mark) const {
        const YAML::Mark mark = value.IsNull() || value.Mark().is_null() ? key_mark : value.Mark();
        return Item(*ctx_, value, std::move(path), mark);
    }

    const Context* ctx_;
    YAML::Node node_;
    std::string path_;
    YAML::Mark mark_;
};

std::string describe(const YAML::Node& node);

// Every key must be in the schema and every map and list where the schema has one. An empty
// value (`trace:`) counts as an empty map or list.
void check_keys(const Item& it, const Schema& s);

// The one YAML document of the file at `path`; errors name the file, line and column.
YAML::Node parse_file(const std::string& path);

// Writes the value of `text` (KEY=VALUE) into the tree, creating the maps on its way. Any key
// `root_schema` knows may be set, present in the file or not; list entries must exist.
void apply_override(Context& ctx, YAML::Node& root, const Schema& root_schema, const std::string& text);

// ---- Typed access: each checks the node's type and range and names the key when it fails.

// The text of a scalar; a required key that is absent fails here.
const std::string& scalar(const Item& it, const std::string& expected);

// A number must be written as one: "30" in quotes is a string.
const std::string& plain_scalar(const Item& it, const std::string& expected);

std::string uint_range(std::uint64_t min, std::uint64_t max);

std::uint64_t get_uint(const Item& it, std::uint64_t min, std::uint64_t max);

// Reads `field` when the key is present; an absent key keeps the default already in it.
template <class T>
void read_uint(const Item& it, T& field, std::uint64_t min, std::uint64_t max) {
    if (it.present()) field = static_cast<T>(get_uint(it, min, max));
}

// An interval of reals, open or closed at each end.
struct Interval {
    double lo, hi;
    bool lo_open, hi_open;

    bool contains(double v) const {
        return (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
    }
    std::string text() const {
        std::ostringstream s;
        s.precision(12);
        if (std::isinf(hi)) s << (lo_open ? "> " : ">= ") << lo;
        else s << "in " << (lo_open ? "(" : "[") << lo << ", " << hi << (hi_open ? ")" : "]");
        return s.str();
    }
};
inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr Interval kPositive{0, kInf, true, true};
inline constexpr Interval kNonNegative{0, kInf, false, true};
inline constexpr Interval kFraction{0, 1, false, false};
inline constexpr Interval kFractionBelowOne{0, 1, false, true};

double get_double(const Item& it, const Interval& range);

// A float field must hold the value: a larger one would become inf without a word.
template <class T>
void read_double(const Item& it, T& field, const Interval& range) {
    if (!it.present()) return;
    const double v = get_double(it, range);
    if (std::is_same_v<T, float> && std::fabs(v) > std::numeric_limits<float>::max()) {
        std::ostringstream msg;
        msg << it.node().Scalar() << " is beyond the range of a 32-bit float (at most "
            << std::numeric_limits<float>::max() << ")";
        it.fail(msg.str());
    }
    field = static_cast<T>(v);
}

void read_bool(const Item& it, bool& field);

// Any scalar is a string; an empty value (`key:`) is the empty string.
std::string get_string(const Item& it);

void read_string(const Item& it, std::string& field);

template <class E>
using Choices = std::vector<std::pair<std::string, E>>;

template <class E>
E get_enum(const Item& it, const Choices<E>& choices) {
    const std::string s = get_string(it);
    std::vector<std::string> names;
    for (const auto& [name, value] : choices) {
        if (s == name) return value;
        names.push_back(name);
    }
    it.fail("'" + s + "' is not one of " + comma_list(names));
}

template <class E>
void read_enum(const Item& it, E& field, const Choices<E>& choices) {
    if (it.present()) field = get_enum(it, choices);
}

// Bytes: an integer, or an integer with a KiB, MiB or GiB suffix.
std::uint64_t get_size(const Item& it, std::uint64_t min, std::uint64_t max);

// A key with only one value modelled: any other is an error that says why.
template <class T>
void read_fixed(const Item& it, T& field, std::uint64_t only, const std::string& why) {
    if (it.present() && get_uint(it, 0, kMaxU64) != only)
        it.fail("only " + std::to_string(only) + " is supported: " + why);
    field = static_cast<T>(only);
}

// One value for every layer, or a list with one per layer (its length is checked against the
// layer count by check_layer_count once the workload is known).
template <class Get>
auto per_layer(const Item& it, Get get) -> std::vector<decltype(get(it))> {
    if (!it.node().IsSequence()) return {get(it)};
    if (it.size() == 0) it.fail("the list must not be empty");
    std::vector<decltype(get(it))> values;
    for (std::size_t i = 0; i < it.size(); ++i) values.push_back(get(it[i]));
    return values;
}

void check_layer_count(const Item& it, std::size_t layers);

void check_conflict(const Item& a, const Item& b);

}  // namespace elstm::yaml_tree
