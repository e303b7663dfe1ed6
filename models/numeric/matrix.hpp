#pragma once
#include <cstddef>
#include <vector>

namespace elstm {

// Dense row-major fp32 matrix. Weight matrices hold fp16-representable values
// (see round_to_fp16) so every format encodes them exactly.
struct DenseMatrix {
    std::size_t rows = 0;
    std::size_t cols = 0;
    std::vector<float> values;

    DenseMatrix() = default;
    DenseMatrix(std::size_t r, std::size_t c) : rows(r), cols(c), values(r * c, 0.0f) {}

    float& at(std::size_t r, std::size_t c) { return values[r * cols + c]; }
    float at(std::size_t r, std::size_t c) const { return values[r * cols + c]; }

    std::size_t nonzeros() const;
    double zero_fraction() const;  // 0 for an empty matrix
    bool operator==(const DenseMatrix& other) const;
};

// y = M·x with fp32 accumulation, columns in ascending order per row. x has M.cols
// elements, y receives M.rows.
void dense_matvec(const DenseMatrix& m, const float* x, float* y);

// Every element rounded to the nearest fp16 value.
DenseMatrix rounded_to_fp16(const DenseMatrix& m);

}  // namespace elstm
