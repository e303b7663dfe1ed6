#include "yaml_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <utility>

#include "accel/accelerator.hpp"
#include "numeric/fp16.hpp"
#include "numeric/regular_file.hpp"
#include "yaml_document.hpp"

namespace elstm {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kMaxU64 = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kMaxDramSize = 16ull << 30;
constexpr std::uint64_t kMaxCapacity = 1ull << 31;
constexpr std::uint64_t kMaxLatency = 1000000;
constexpr std::uint64_t kMaxCount = 100000;  // steps, sequences, layer sizes
constexpr std::uint64_t kMaxCycles = 1'000'000'000'000'000;  // max_cycles: 10^15
constexpr std::uint64_t kMaxPes = 64;
constexpr std::uint64_t kMaxFuse = 64;
constexpr double kMaxClockMhz = 1e6;          // a 1 ps period, SystemC's default resolution
// A 1 µs period: SystemC's 64-bit picoseconds still hold 1.8e13 cycles. Slower clocks run out of
// simulated time within a run (the kernel's time stops, or wraps into the past).
constexpr double kMinClockMhz = 1;
// |h| < 1, so a larger golden tolerance would accept any h, even one never computed.
constexpr double kMaxGoldenTolerance = 0.01;

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

// The accelerator's buffers, by their YAML name.
struct BufferField {
    const char* name;
    BufferConfig AcceleratorBuffers::*config;
    bool AutoCapacity::*automatic;
};
constexpr BufferField kBuffers[] = {
    {"x", &AcceleratorBuffers::x, &AutoCapacity::x},
    {"wx", &AcceleratorBuffers::wx, &AutoCapacity::wx},
    {"uh", &AcceleratorBuffers::uh, &AutoCapacity::uh},
    {"h", &AcceleratorBuffers::h, &AutoCapacity::h},
    {"c", &AcceleratorBuffers::c, &AutoCapacity::c},
    {"bias", &AcceleratorBuffers::bias, &AutoCapacity::bias},
    {"table", &AcceleratorBuffers::table, &AutoCapacity::table},
};

// Keys of a generated layer that an npy layer must not have.
constexpr const char* kGeneratedLayerKeys[] = {"input", "hidden", "w_sparsity", "u_sparsity", "gain",
                                               "target_h_sparsity", "pruning"};

const Schema& schema() {
    static const Schema root = [] {
        Schema buffers = map_of({});
        for (const BufferField& b : kBuffers)
            buffers.keys.emplace_back(b.name, leaves({"capacity", "entry_bits", "ports"}));
        Schema layer = leaves({"input", "hidden", "w_sparsity", "u_sparsity", "h_threshold", "gain",
                               "target_h_sparsity", "pruning"});
        layer.keys.emplace_back("npy", leaves({"w", "u", "bias"}));
        return map_of({
            {"clock_mhz", leaf()},
            {"timing", leaf()},
            {"max_cycles", leaf()},
            {"dram", leaves({"base", "size", "latency", "bytes_per_cycle"})},
            {"rocc", leaves({"word_bits", "words_per_cycle", "command_queue"})},
            {"accel", map_of({{"n_pe", leaf()},
                              {"format", leaf()},
                              {"datapath", leaf()},
                              {"pes", list_of(leaves({"name", "role", "macc_per_cycle"}))},
                              {"vector_pe", leaves({"lanes", "latency"})},
                              {"buffers", buffers}})},
            {"schedule", map_of({{"kind", leaf()},
                                 {"n_fuse", leaf()},
                                 {"pruning", leaf()},
                                 {"skip", leaf()},
                                 {"delta", leaves({"theta_x", "theta_h"})}})},
            {"workload", map_of({{"benchmark", leaf()},
                                 {"layers", list_of(layer)},
                                 {"steps", leaf()},
                                 {"sequences", leaf()},
                                 {"seed", leaf()},
                                 {"gain", leaf()},
                                 {"target_h_sparsity", leaf()},
                                 {"pruning", leaf()}})},
            {"host", map_of({{"kind", leaf()},
                             {"firmware", leaf()},
                             {"max_instructions", leaf()},
                             {"quantum", leaf()},
                             {"rocc_issue", leaf()},
                             {"golden_tolerance", leaf()},
                             {"cpi", leaves({"alu", "load", "store", "mul", "div", "branch_taken",
                                             "branch_not_taken", "jump", "csr", "system"})}})},
            {"limits", leaves({"memory"})},
            {"trace", leaves({"vcd"})},
            {"stats", leaf()},
        });
    }();
    return root;
}

// ---- Where a node came from, for messages

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

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
    if (fs::is_directory(path, ec)) throw ConfigError(path + ": cannot open (it is a directory)");
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

// Writes the value of `text` (KEY=VALUE) into the tree, creating the maps on its way. Any key
// the schema knows may be set, present in the file or not; list entries must exist.
void apply_override(Context& ctx, YAML::Node& root, const std::string& text) {
    const std::size_t eq = text.find('=');
    if (eq == std::string::npos) set_error(text, "expected KEY=VALUE");
    const std::string key = text.substr(0, eq), value_text = text.substr(eq + 1);
    const std::vector<PathStep> steps = parse_key_path(key);
    if (steps.empty()) set_error(text, "'" + key + "' is not a key path (names joined by '.', list entries as [N])");
    const YAML::Node value = parse_value(text, value_text);

    if (!root.IsDefined() || root.IsNull()) root.reset(YAML::Node(YAML::NodeType::Map));
    const Schema* s = &schema();
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

// ---- Typed access: each checks the node's type and range and names the key when it fails.

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
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr Interval kPositive{0, kInf, true, true};
constexpr Interval kNonNegative{0, kInf, false, true};
constexpr Interval kFraction{0, 1, false, false};
constexpr Interval kFractionBelowOne{0, 1, false, true};

double get_double(const Item& it, const Interval& range) {
    const std::string expected = "a number " + range.text();
    const std::string& s = plain_scalar(it, expected);
    const std::optional<double> v = parse_double(s);
    if (!v || !std::isfinite(*v)) it.fail("expected " + expected + ", got '" + s + "'");
    if (!range.contains(*v)) it.fail(s + " is out of range; expected " + expected);
    return *v;
}

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

void check_layer_count(const Item& it, std::size_t layers) {
    if (it.node().IsSequence() && it.size() != layers)
        it.fail("the list has " + count(it.size(), "value") + " but the workload has " + count(layers, "layer") +
                " (give one per layer, or a single value for all)");
}

void check_conflict(const Item& a, const Item& b) {
    if (a.present() && b.present())
        b.fail("conflicts with " + a.path() + " (" + a.where() + "); give only one of them");
}

// ---- The sections

void read_clock(const Item& it, double& mhz) {
    read_double(it, mhz, {kMinClockMhz, kMaxClockMhz, false, false});
    // Every delay is a whole number of cycles and SystemC counts whole picoseconds.
    const double ps = 1e6 / mhz;
    if (std::fabs(ps - std::round(ps)) > 1e-9 * ps) {
        std::ostringstream msg;
        msg.precision(12);
        msg << mhz << " MHz gives a clock period of " << ps
            << " ps; it must be a whole number of picoseconds (1e6 / clock_mhz integral, e.g. 1000, 800, 500)";
        it.fail(msg.str());
    }
}

// The simulated-time budget (and the cycle after it, where the run stops) must fit SystemC's
// 64-bit picosecond time at this clock rate.
void read_max_cycles(const Item& it, sim::Cycles& cycles, double mhz) {
    read_uint(it, cycles, 1, kMaxCycles);
    const std::uint64_t period_ps = static_cast<std::uint64_t>(std::llround(1e6 / mhz));
    const std::uint64_t most = kMaxU64 / period_ps - 1;
    if (cycles > most)
        it.fail(std::to_string(cycles) + " cycles of " + std::to_string(period_ps) +
                " ps exceed SystemC's time range; at most " + std::to_string(most));
}

DramConfig read_dram(const Item& it) {
    DramConfig d;
    const Item base = it["base"];
    read_uint(base, d.base, 0, kMaxU64);
    if (d.base % 8 != 0) base.fail(base.node().Scalar() + " is not a multiple of 8");
    const Item size = it["size"];
    if (size.present()) d.size = get_size(size, 1, kMaxDramSize);
    if (d.size - 1 > kMaxU64 - d.base) size.fail("base + size exceeds the 64-bit address space");
    read_uint(it["latency"], d.latency, 0, kMaxLatency);
    const Item bpc = it["bytes_per_cycle"];
    read_uint(bpc, d.bytes_per_cycle, 1, 4096);
    if (d.bytes_per_cycle < 8)
        bpc.fail(std::to_string(d.bytes_per_cycle) +
                 " is below one 64-bit RoCC word per cycle; a DRAM slower than the port is not modelled (use 8 or more)");
    return d;
}

RoccChannelConfig read_rocc(const Item& it) {
    RoccChannelConfig r;
    read_fixed(it["word_bits"], r.word_bits, 64, "eSELL is defined on 64-bit RoCC words");
    read_fixed(it["words_per_cycle"], r.words_per_cycle, 1,
               "the paper's RoCC port moves one word per cycle, the only rate modelled");
    read_uint(it["command_queue"], r.command_queue, 1, 64);
    return r;
}

// The choices of an enum the numeric core names itself: its values 0 .. count−1, in order.
template <class E>
Choices<E> named_choices(std::size_t count, const char* (*name)(E)) {
    Choices<E> choices;
    for (std::size_t k = 0; k < count; ++k) choices.emplace_back(name(static_cast<E>(k)), static_cast<E>(k));
    return choices;
}

const Choices<PeRole> kRoles{{"spmv", PeRole::spmv}, {"spmspv", PeRole::spmspv}};

// `n_pe: n`: n−1 W·x PEs and one U·h PE, as in the paper.
std::vector<PeConfig> standard_pes(std::size_t n) {
    std::vector<PeConfig> pes(n);
    for (std::size_t k = 0; k < n; ++k) {
        pes[k].name = "pe" + std::to_string(k);
        pes[k].role = k + 1 < n ? PeRole::spmv : PeRole::spmspv;
    }
    return pes;
}

std::vector<PeConfig> read_pes(const Item& list) {
    if (list.size() > kMaxPes)
        list.fail(count(list.size(), "PE") + "; at most " + std::to_string(kMaxPes) + " (as with accel.n_pe)");
    const std::vector<std::string> reserved = Accelerator::part_names();
    std::vector<PeConfig> pes;
    std::map<std::string, std::string> seen;  // name → where
    for (std::size_t k = 0; k < list.size(); ++k) {
        const Item pe = list[k];
        if (!pe.node().IsMap())
            pe.fail("expected a map (keys: name, role, macc_per_cycle), got " + describe(pe.node()));
        PeConfig c;
        const Item name = pe["name"];
        c.name = get_string(name);
        if (!is_identifier(c.name)) name.fail("'" + c.name + "' is not an identifier ([A-Za-z_][A-Za-z0-9_]*)");
        if (std::find(reserved.begin(), reserved.end(), c.name) != reserved.end())
            name.fail("'" + c.name + "' is taken by a part of the accelerator; reserved: " + comma_list(reserved));
        if (auto [first, inserted] = seen.emplace(c.name, name.where()); !inserted)
            name.fail("duplicate PE name '" + c.name + "' (first at " + first->second + ")");
        c.role = get_enum(pe["role"], kRoles);
        read_uint(pe["macc_per_cycle"], c.macc_per_cycle, 1, 4);
        pes.push_back(c);
    }
    return pes;
}

void check_roles(const Item& at, const std::vector<PeConfig>& pes) {
    std::vector<std::string> spmv, spmspv;
    for (const PeConfig& pe : pes) (pe.role == PeRole::spmv ? spmv : spmspv).push_back(pe.name);
    if (spmv.empty()) at.fail("needs at least one spmv PE (W·x)");
    if (spmspv.size() != 1)
        at.fail("needs exactly one spmspv PE (U·h), found " + std::to_string(spmspv.size()) +
                (spmspv.empty() ? "" : " (" + comma_list(spmspv) + ")"));
}

// Capacity `auto` (or absent) leaves the size to the platform, which fits it to the workload.
void read_buffer(const Item& it, BufferConfig& config, bool& automatic) {
    const Item capacity = it["capacity"];
    if (capacity.present() && !(capacity.node().IsScalar() && capacity.node().Scalar() == "auto")) {
        config.capacity = get_uint(capacity, 1, kMaxCapacity);
        automatic = false;
    }
    read_uint(it["entry_bits"], config.entry_bits, 1, 64);
    read_uint(it["ports"], config.ports, 1, 16);
}

AcceleratorConfig read_accel(const Item& it, AutoCapacity& automatic) {
    AcceleratorConfig a;
    const Item n_pe = it["n_pe"], pes = it["pes"];
    check_conflict(n_pe, pes);
    if (pes.present()) {
        a.pes = read_pes(pes);
        check_roles(pes, a.pes);
    } else {
        std::size_t n = 3;
        read_uint(n_pe, n, 2, kMaxPes);
        a.pes = standard_pes(n);
    }
    const Item vector = it["vector_pe"];
    read_uint(vector["lanes"], a.vector_pe.lanes, 1, 4096);
    read_uint(vector["latency"], a.vector_pe.latency, 0, 10000);
    for (const BufferField& b : kBuffers)
        read_buffer(it["buffers"][b.name], a.buffers.*b.config, automatic.*b.automatic);
    read_enum(it["format"], a.format,
              named_choices<WeightFormat>(kWeightFormats, weight_format_name));
    read_enum(it["datapath"], a.datapath, named_choices<Datapath>(kDatapathCount, datapath_name));
    return a;
}

ScheduleConfig read_schedule(const Item& it) {
    ScheduleConfig s;
    read_enum(it["kind"], s.kind,
              Choices<Schedule>{{"cell_fusion", Schedule::cell_fusion}, {"sequential", Schedule::sequential}});
    const Item n_fuse = it["n_fuse"];
    if (n_fuse.present())
        s.n_fuse = per_layer(n_fuse, [](const Item& v) { return static_cast<unsigned>(get_uint(v, 1, kMaxFuse)); });
    // `pruning` predates `skip`: false means skip none; a `skip` given as well decides (so a
    // --set schedule.skip works on any config).
    bool prune = true;
    read_bool(it["pruning"], prune);
    if (!prune) s.skip = SkipPolicy::none;
    read_enum(it["skip"], s.skip,
              named_choices<SkipPolicy>(kSkipPolicyCount, skip_policy_name));
    const Item delta = it["delta"];
    if (delta.present() && s.skip != SkipPolicy::delta) delta.fail("applies to schedule.skip: delta only");
    read_double(delta["theta_x"], s.theta_x, kNonNegative);
    read_double(delta["theta_h"], s.theta_h, kNonNegative);
    return s;
}

const Choices<PruningKind> kPruningKinds = named_choices<PruningKind>(kPruningKindCount, pruning_kind_name);

// Fails at `it` unless `path` is a regular file that can be opened (not a FIFO, a device, ...).
void check_regular_file(const Item& it, const std::string& path) {
    try {
        const RegularFile file(path);
    } catch (const Error& e) {
        it.fail(e.what());
    }
}

// An npy path, relative to the YAML file's directory; only that it is a readable regular file
// is checked here.
std::string npy_path(const Item& it, const fs::path& dir) {
    const std::string s = get_string(it);
    if (s.empty()) it.fail("must name a .npy file");
    const fs::path p = fs::path(s).is_absolute() ? fs::path(s) : (dir / s).lexically_normal();
    std::error_code ec;
    if (!fs::exists(p, ec)) it.fail("'" + s + "' does not exist (looked for " + p.string() + ")");
    check_regular_file(it, p.string());
    return p.string();
}

NpyLayerFiles read_npy_layer(const Item& it, const fs::path& dir) {
    for (const char* key : kGeneratedLayerKeys)
        if (it[key].present()) it[key].fail("not allowed in an npy layer (its shape and values come from the files)");
    const Item npy = it["npy"];
    NpyLayerFiles f;
    f.w = npy_path(npy["w"], dir);
    f.u = npy_path(npy["u"], dir);
    f.bias = npy_path(npy["bias"], dir);
    read_double(it["h_threshold"], f.h_threshold, kNonNegative);
    return f;
}

// Generated weights are uniform in ±gain/√hidden and stored as fp16.
void check_weight_scale(const Item& gain, const LayerSpec& l) {
    const double bound = l.gain / std::sqrt(static_cast<double>(l.hidden_size));
    if (bound > kFp16Max) {
        std::ostringstream msg;
        msg.precision(6);
        msg << gain.node().Scalar() << " gives weights up to ±" << bound << " (gain/√" << l.hidden_size
            << "), beyond the largest fp16 value " << kFp16Max;
        gain.fail(msg.str());
    }
}

LayerSpec read_generated_layer(const Item& it) {
    LayerSpec l;
    l.input_size = get_uint(it["input"], 1, kMaxCount);
    l.hidden_size = get_uint(it["hidden"], 1, kMaxCount);
    read_double(it["w_sparsity"], l.w_sparsity, kFraction);
    read_double(it["u_sparsity"], l.u_sparsity, kFraction);
    read_double(it["h_threshold"], l.h_threshold, kNonNegative);
    check_conflict(it["target_h_sparsity"], it["gain"]);
    read_double(it["gain"], l.gain, kPositive);
    check_weight_scale(it["gain"], l);
    if (const Item t = it["target_h_sparsity"]; t.present()) l.target_h_sparsity = get_double(t, kFractionBelowOne);
    read_enum(it["pruning"], l.pruning, kPruningKinds);
    return l;
}

void read_layers(const Item& workload, const Item& layers, const fs::path& dir, WorkloadConfig& w) {
    for (const char* key : {"gain", "target_h_sparsity", "pruning"})
        if (const Item it = workload[key]; it.present())
            it.fail("applies to workload.benchmark only; give it per layer in workload.layers");
    if (layers.size() == 0) layers.fail("must list at least one layer");
    const bool npy = layers[0]["npy"].present();
    for (std::size_t k = 0; k < layers.size(); ++k) {
        const Item layer = layers[k];
        if (!layer.node().IsMap()) layer.fail("expected a map, got " + describe(layer.node()));
        if (layer["npy"].present() != npy)
            layer.fail(std::string(npy ? "is generated" : "reads npy files") + " but " + layers[0].path() + " " +
                       (npy ? "reads npy files" : "is generated") + "; all layers must be the same kind");
        if (npy) w.npy_layers.push_back(read_npy_layer(layer, dir));
        else w.spec.layers.push_back(read_generated_layer(layer));
    }
}

WorkloadSpec read_benchmark(const Item& workload, const Item& name) {
    Choices<std::string> choices;
    for (const std::string& n : benchmark_names()) choices.emplace_back(n, n);
    WorkloadSpec spec = benchmark_spec(get_enum(name, choices));
    check_conflict(workload["target_h_sparsity"], workload["gain"]);
    for (LayerSpec& l : spec.layers) {
        read_double(workload["gain"], l.gain, kPositive);
        check_weight_scale(workload["gain"], l);
        read_enum(workload["pruning"], l.pruning, kPruningKinds);
    }
    const Item target = workload["target_h_sparsity"];
    if (target.present()) {
        const auto values = per_layer(target, [](const Item& v) { return get_double(v, kFractionBelowOne); });
        check_layer_count(target, spec.layers.size());
        for (std::size_t k = 0; k < spec.layers.size(); ++k)
            spec.layers[k].target_h_sparsity = values[values.size() == 1 ? 0 : k];
    }
    return spec;
}

// The numeric core's own check (e.g. that layers chain), reported at the layer it names.
void validate(const Item& workload, const WorkloadSpec& spec) {
    try {
        spec.validate();
    } catch (const Error& e) {
        const std::string msg = e.what();
        const Item layers = workload["layers"];
        std::size_t k = 0;
        int used = 0;
        if (std::sscanf(msg.c_str(), "layers[%zu]%n", &k, &used) == 1 && used > 0 && k < layers.size())
            layers[k].fail(msg.substr(msg[used] == '.' ? used + 1 : used));
        workload.fail(msg);
    }
}

WorkloadConfig read_workload(const Item& it, const fs::path& dir) {
    const Item benchmark = it["benchmark"], layers = it["layers"];
    check_conflict(benchmark, layers);
    WorkloadConfig w;
    if (benchmark.present()) {
        w.spec = read_benchmark(it, benchmark);
        read_uint(it["steps"], w.spec.steps, 1, kMaxCount);
    } else if (layers.present()) {
        read_layers(it, layers, dir, w);
        w.spec.steps = get_uint(it["steps"], 1, kMaxCount);  // explicit layers have no default length
    } else {
        it.fail("required: give workload.benchmark or workload.layers");
    }
    read_uint(it["sequences"], w.spec.sequences, 1, kMaxCount);
    read_uint(it["seed"], w.spec.seed, 0, kMaxU64);
    if (w.npy_layers.empty()) validate(it, w.spec);
    return w;
}

// The RISC-V host: firmware by name (built with the platform) or as an ELF path.
HostConfig read_host(const Item& it, const fs::path& dir) {
    HostConfig h;
    read_enum(it["kind"], h.kind, Choices<HostKind>{{"core", HostKind::core}, {"driver", HostKind::driver}});
    const Item firmware = it["firmware"];
    read_string(firmware, h.firmware);
    if (h.firmware != "elstm" && h.firmware != "lstm_cpu") {
        const fs::path elf = dir / h.firmware;
        if (!fs::exists(elf))
            firmware.fail("'" + h.firmware + "' is neither elstm nor lstm_cpu nor an existing ELF (looked for " +
                          elf.string() + ")");
        check_regular_file(firmware, elf.string());
        h.firmware = elf.string();
    }
    read_uint(it["max_instructions"], h.core.max_instructions, 1, 10'000'000'000'000ull);
    read_uint(it["quantum"], h.core.quantum, 1, 1'000'000'000);
    read_uint(it["rocc_issue"], h.core.rocc_issue, 0, 1000);
    read_double(it["golden_tolerance"], h.golden_tolerance, {0, kMaxGoldenTolerance, false, false});
    const Item cpi = it["cpi"];
    const char* classes[] = {"alu", "load", "store", "mul", "div", "branch_taken", "branch_not_taken", "jump", "csr",
                             "system"};
    for (std::size_t k = 0; k < std::size(classes); ++k) read_uint(cpi[classes[k]], h.core.cpi[k], 1, 1000);
    return h;
}

PlatformConfig read_platform(const Item& root, const fs::path& dir) {
    check_keys(root, schema());
    PlatformConfig c;
    read_clock(root["clock_mhz"], c.clock_mhz);
    read_max_cycles(root["max_cycles"], c.max_cycles, c.clock_mhz);
    c.dram = read_dram(root["dram"]);
    c.rocc = read_rocc(root["rocc"]);
    read_enum(root["timing"], c.rocc.timing,
              Choices<PortTiming>{{"fast", PortTiming::fast}, {"exact", PortTiming::exact}});
    c.rocc.memory_latency = c.dram.latency;
    c.accel = read_accel(root["accel"], c.auto_capacity);
    c.schedule = read_schedule(root["schedule"]);
    c.workload = read_workload(root["workload"], dir);
    const std::size_t layers =
        c.workload.npy_layers.empty() ? c.workload.spec.layers.size() : c.workload.npy_layers.size();
    check_layer_count(root["schedule"]["n_fuse"], layers);
    c.host = read_host(root["host"], dir);
    // lstm_cpu computes the E-LSTM numerics from eSELL itself; it knows no other variant.
    if (c.host.kind == HostKind::core && c.host.firmware == "lstm_cpu" &&
        (c.accel.format != WeightFormat::esell || c.accel.datapath != Datapath::fp32 ||
         c.schedule.skip == SkipPolicy::delta))
        root["host"]["firmware"].fail(
            "lstm_cpu runs only the E-LSTM variant (accel.format esell, accel.datapath fp32, schedule.skip "
            "h_block_threshold or none)");
    const Item memory = root["limits"]["memory"];
    if (memory.present()) c.memory_limit = get_size(memory, 1ull << 20, kMaxU64);
    read_string(root["trace"]["vcd"], c.vcd);
    read_string(root["stats"], c.stats);
    return c;
}

}  // namespace

PlatformConfig load_platform_config(const std::string& path, const std::vector<std::string>& overrides) {
    Context ctx(path);
    YAML::Node root = parse_file(path);
    for (const std::string& text : overrides) apply_override(ctx, root, text);
    const Item top(ctx, root, "", root.IsDefined() ? root.Mark() : YAML::Mark::null_mark());
    PlatformConfig c = read_platform(top, fs::path(path).parent_path());
    c.source = path;
    return c;
}

}  // namespace elstm
