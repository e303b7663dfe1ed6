// libFuzzer target: the .npy reader (elstm::load_npy_bytes, the body of load_npy) on arbitrary
// bytes. elstm::Error is the expected answer to a bad file; anything else is a finding. An array
// that loads is also turned into a matrix (npy_to_matrix), which must agree with its shape.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/npy.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    try {
        const elstm::NpyArray a = elstm::load_npy_bytes(bytes, "fuzz.npy");
        std::size_t count = 1;
        for (const std::size_t d : a.shape) count *= d;  // load_npy checked it does not overflow
        if (count != a.data.size()) {
            std::fprintf(stderr, "fuzz_npy: shape holds %zu elements, data %zu\n", count, a.data.size());
            std::abort();
        }
        const elstm::DenseMatrix m = elstm::npy_to_matrix(a, "fuzz.npy");
        if (m.rows * m.cols != a.data.size()) std::abort();
    } catch (const elstm::Error&) {
    }
    return 0;
}
