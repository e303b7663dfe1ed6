#pragma once
#include <cstddef>
#include <string>
#include <vector>

// workload.inputs: the first layer's x of every sequence from a .npy file.
namespace elstm {

// The array (sequences, steps, m) in `path` as sequences × steps × m floats. The config has
// checked its header; it is checked again here, as the file may have changed since. Throws
// elstm::Error naming `key`, the file and what was expected (a shape, a finite value).
std::vector<float> load_workload_inputs(const std::string& path, const std::string& key, std::size_t sequences,
                                        std::size_t steps, std::size_t m);

}  // namespace elstm
