#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include <elstm_vp/platform/output_path.hpp>

// outputs.h (--h-out): every step's h of every sequence, as the run left it in DRAM, one
// float32 .npy file per layer of shape (sequences, steps, hidden). One file per layer whatever
// the layers' sizes, so a reader finds layer N at the same name in every run.
namespace elstm {

class Platform;

// Layer `layer`'s file (from 0): `.layerN` (N from 1) inserted before a final `.npy`, else
// `.layerN.npy` appended: h.npy → h.layer1.npy, out/h → out/h.layer1.npy.
std::string h_output_path(const std::string& path, std::size_t layer);

// Every layer's file with the key that names it ("outputs.h" or "--h-out"), for the checks
// before the run (check_writable, check_distinct).
std::vector<NamedPath> h_output_paths(const std::string& path, const std::string& key, std::size_t layers);

// Writes each layer's file as an OutputFile (temporary name, then rename); false (and `error`)
// at the first that cannot be written.
bool write_h_outputs(const Platform& platform, const std::string& path, const std::string& key, std::string* error);

}  // namespace elstm
