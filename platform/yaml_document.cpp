#include <elstm_vp/platform/yaml_document.hpp>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <sstream>
#include <unordered_set>
#include <utility>
#include <vector>

namespace elstm {
namespace {

// Records where a document starts; ignores its contents.
class DocumentStarts : public YAML::EventHandler {
public:
    YAML::Mark start = YAML::Mark::null_mark();

    void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
};

// yaml-cpp's Load reads the first document and drops the rest; a second one is an error. Only
// one more document is asked for: yaml-cpp returns empty documents without end after some
// malformed flow values (`[1], 2`).
void check_single_document(const std::string& text) {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStarts starts;
    parser.HandleNextDocument(starts);
    if (parser.HandleNextDocument(starts))
        throw YamlDocumentError("a second YAML document starts here (after '---' or a complete value); give one",
                                starts.start, true);
}

// Expands aliases in place. yaml-cpp gives every use of an anchor the same node, so a node
// reached a second time is shared: its container gets a copy instead (YAML::Clone keeps the
// marks). A node's identity is its data, whose scalar text has one address per node (the
// map and list nodes have one too, empty).
class AliasExpander {
public:
    void expand(const YAML::Node& node) {
        if (++values_ > kMaxYamlValues)
            throw YamlDocumentError("more than " + std::to_string(kMaxYamlValues) +
                                        " values (each use of an alias counted); a configuration needs far fewer",
                                    node.Mark());
        if (!node.IsMap() && !node.IsSequence()) return;
        ancestors_.insert(id(node));
        if (node.IsSequence()) expand_sequence(node);
        else expand_map(node);
        ancestors_.erase(id(node));
    }

private:
    static const void* id(const YAML::Node& node) { return &node.Scalar(); }

    // The node to keep in a container: itself when first met, else a copy.
    YAML::Node own(const YAML::Node& child) {
        if (ancestors_.count(id(child)))
            throw YamlDocumentError("an alias inside the value it names (it would never end)", child.Mark());
        if (seen_.insert(id(child)).second) return child;
        YAML::Node copy = YAML::Clone(child);
        seen_.insert(id(copy));
        return copy;
    }

    void expand_sequence(YAML::Node node) {
        std::vector<YAML::Node> items;
        bool copied = false;
        for (const YAML::Node& child : node) {
            items.push_back(own(child));
            copied = copied || !items.back().is(child);
        }
        if (copied) {
            for (std::size_t k = items.size(); k-- > 0;) node.remove(k);
            for (const YAML::Node& item : items) node.push_back(item);
        }
        for (const YAML::Node& item : items) expand(item);
    }

    void expand_map(YAML::Node node) {
        std::vector<std::pair<YAML::Node, YAML::Node>> entries;
        bool copied = false;
        for (const auto& kv : node) {
            entries.emplace_back(kv.first, own(kv.second));
            copied = copied || !entries.back().second.is(kv.second);
        }
        if (copied) {
            for (const auto& entry : entries) node.remove(entry.first);
            for (const auto& [key, value] : entries) node.force_insert(key, value);
        }
        for (const auto& entry : entries) expand(entry.second);
    }

    std::unordered_set<const void*> seen_, ancestors_;
    std::size_t values_ = 0;
};

}  // namespace

YAML::Node load_yaml_document(const std::string& text) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
        check_single_document(text);
    } catch (const YAML::DeepRecursion& e) {
        throw YamlDocumentError("YAML nesting deeper than " + std::to_string(e.depth()) +
                                    " levels (the most the parser follows)",
                                e.mark);
    } catch (const YAML::ParserException& e) {
        throw YamlDocumentError("YAML syntax error: " + e.msg, e.mark);
    }
    AliasExpander().expand(root);
    return root;
}

}  // namespace elstm
