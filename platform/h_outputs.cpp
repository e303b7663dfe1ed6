#include <elstm_vp/platform/h_outputs.hpp>

#include <elstm_vp/numeric/npy.hpp>
#include <elstm_vp/platform/output_file.hpp>
#include <elstm_vp/platform/platform.hpp>

namespace elstm {

std::string h_output_path(const std::string& path, std::size_t layer) {
    const std::string tag = ".layer" + std::to_string(layer + 1);
    const std::string ext = ".npy";
    if (path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0)
        return path.substr(0, path.size() - ext.size()) + tag + ext;
    return path + tag + ext;
}

std::vector<NamedPath> h_output_paths(const std::string& path, const std::string& key, std::size_t layers) {
    std::vector<NamedPath> out;
    if (path.empty()) return out;
    for (std::size_t k = 0; k < layers; ++k) out.push_back({key, h_output_path(path, k)});
    return out;
}

bool write_h_outputs(const Platform& platform, const std::string& path, const std::string& key, std::string* error) {
    const WorkloadImage& image = platform.image();
    for (std::size_t k = 0; k < image.layers.size(); ++k) {
        const std::string file = h_output_path(path, k);
        OutputFile out(file, key);
        out.write(npy_preamble({image.sequences, image.steps, image.layers[k].hidden_size}, false, file));
        // A sequence at a time: the file's bytes are never all in memory at once.
        for (std::size_t s = 0; s < image.sequences; ++s) {
            const std::vector<float> h = platform.simulated_h(k, s);
            out.write(npy_data(h.data(), h.size()));
        }
        if (!out.commit()) {
            if (error) *error = out.error();
            return false;
        }
    }
    return true;
}

}  // namespace elstm
