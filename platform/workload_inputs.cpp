#include <elstm_vp/platform/workload_inputs.hpp>

#include <cmath>
#include <sstream>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/npy.hpp>

namespace elstm {

namespace {

std::string shape_text(const std::vector<std::size_t>& shape) {
    std::ostringstream s;
    s << '(';
    for (std::size_t k = 0; k < shape.size(); ++k) s << (k ? ", " : "") << shape[k];
    s << (shape.size() == 1 ? ",)" : ")");
    return s.str();
}

}  // namespace

std::vector<float> load_workload_inputs(const std::string& path, const std::string& key, std::size_t sequences,
                                        std::size_t steps, std::size_t m) {
    NpyArray a;
    try {
        a = load_npy(path);
    } catch (const Error& e) {
        throw Error(key + ": " + e.what());
    }
    const std::vector<std::size_t> want{sequences, steps, m};
    if (a.shape != want)
        throw Error(key + ": " + path + ": shape " + shape_text(a.shape) + " does not match the expected " +
                    "(sequences, steps, input) = " + shape_text(want));
    // The accelerator and the golden model would carry a NaN or an infinity through every step.
    for (std::size_t k = 0; k < a.data.size(); ++k)
        if (!std::isfinite(a.data[k])) {
            std::ostringstream msg;
            msg << key << ": " << path << ": element " << k << " (sequence " << k / (steps * m) << ", step "
                << k / m % steps << ", x[" << k % m << "]) = " << a.data[k] << " is not a finite number";
            throw Error(msg.str());
        }
    return std::move(a.data);
}

}  // namespace elstm
