#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <elstm_vp/numeric/lstm.hpp>

// NumPy .npy files (format versions 1, 2 and 3): little-endian float32 or float16 (or
// integers, load_npy_int), C order. Anything else is an elstm::Error naming the file and what is wrong.
namespace elstm {

struct NpyArray {
    std::vector<std::size_t> shape;
    std::vector<float> data;  // row-major, converted to fp32
};

// Reads only a regular file, its size checked against the header before its data is read
// straight into the array.
NpyArray load_npy(const std::string& path);

// An integer array (e.g. class labels): '|u1', '|i1' or little-endian '<i2', '<u2', '<i4',
// '<u4', '<i8', '<u8', C order, each value as int64 (a '<u8' value beyond int64 is an Error).
struct NpyIntArray {
    std::vector<std::size_t> shape;
    std::vector<std::int64_t> data;
};
NpyIntArray load_npy_int(const std::string& path);
// The shape of the array in `path`, from its header alone (the header and the file's size are
// checked as by load_npy).
std::vector<std::size_t> npy_shape(const std::string& path);
// The same from the file's bytes already in memory; `name` stands for the path in messages.
NpyArray load_npy_bytes(const std::string& bytes, const std::string& name);

// The parts of a .npy file (format version 1.0) for a writer of its own: the preamble for an
// array of `shape` (`path` names it in the error of a header too long), then its values,
// little-endian float32 ('<f4') or, with as_fp16, float16 ('<f2'), in C order.
std::string npy_preamble(const std::vector<std::size_t>& shape, bool as_fp16, const std::string& path);
std::string npy_data(const float* values, std::size_t count, bool as_fp16 = false);

// Writes a float32 ('<f4') or, with as_fp16, a float16 ('<f2') array in format version 1.0.
void save_npy(const std::string& path, const std::vector<std::size_t>& shape,
              const std::vector<float>& data, bool as_fp16 = false);

// A 2-D array as a matrix (a 1-D array of length k is a k×1 column). Throws for other ranks.
DenseMatrix npy_to_matrix(NpyArray a, const std::string& path);
// npy_to_matrix with every value rounded to fp16, the weights' format; a value fp16 cannot hold
// (one that rounds to infinity, or NaN) is an Error naming the element.
DenseMatrix npy_fp16_matrix(NpyArray a, const std::string& path);

// A layer from W (4n×m), U (4n×n) and bias (4n) files; values are rounded to fp16.
// Shape mismatches are errors naming the file and the expected shape.
LstmLayerWeights load_layer_npy(const std::string& w_path, const std::string& u_path,
                                const std::string& bias_path);

}  // namespace elstm
