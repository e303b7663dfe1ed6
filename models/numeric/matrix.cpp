#include <elstm_vp/numeric/matrix.hpp>

#include <algorithm>

#include <elstm_vp/numeric/fp16.hpp>

namespace elstm {

std::size_t DenseMatrix::nonzeros() const {
    return static_cast<std::size_t>(
        std::count_if(values.begin(), values.end(), [](float v) { return v != 0.0f; }));
}

double DenseMatrix::zero_fraction() const {
    if (values.empty()) return 0.0;
    return 1.0 - static_cast<double>(nonzeros()) / static_cast<double>(values.size());
}

bool DenseMatrix::operator==(const DenseMatrix& other) const {
    return rows == other.rows && cols == other.cols && values == other.values;
}

void dense_matvec(const DenseMatrix& m, const float* x, float* y) {
    for (std::size_t r = 0; r < m.rows; ++r) {
        const float* row = m.values.data() + r * m.cols;  // cols may be 0: no element to index
        float acc = 0.0f;
        for (std::size_t c = 0; c < m.cols; ++c) acc += row[c] * x[c];
        y[r] = acc;
    }
}

DenseMatrix rounded_to_fp16(const DenseMatrix& m) {
    DenseMatrix out = m;
    for (float& v : out.values) v = round_to_fp16(v);
    return out;
}

}  // namespace elstm
