#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <elstm_vp/platform/platform_config.hpp>

// What a workload needs before it is built: its layers' shapes, the DRAM its image takes at
// least, the host memory a run takes. Checked first, so a configuration too large for the DRAM
// or the machine is refused at once, not after minutes of generating weights or by the
// allocator.
namespace elstm {

// A layer's size of x (m) and of h (n).
struct LayerShape {
    std::size_t m = 0, n = 0;
};

// The shapes of the workload's layers: from the spec, or from the .npy headers alone.
std::vector<LayerShape> workload_shapes(const PlatformConfig& config);

// The on-chip buffers in the order x, wx, uh, h, c, bias, table.
constexpr std::size_t kBufferCount = 7;
// Entries each buffer needs for layer `layer` of `shape` under the configured schedule.
std::array<std::size_t, kBufferCount> buffer_needs(const PlatformConfig& config, std::size_t layer,
                                                   const LayerShape& shape, std::size_t steps);

// Throws elstm::Error naming dram.size when the workload image cannot fit the DRAM even with
// its weights at their most compact (one byte per non-zero).
void check_dram_size(const PlatformConfig& config, const std::vector<LayerShape>& shapes);

// One part of a run's host memory: what it is, with the keys that set its size, and its bytes.
struct MemoryPart {
    std::string what;
    double bytes = 0;
};
// About the host memory a run of `config` takes, by part, on the high side: each layer's
// weights as generated, packed and decoded; the inputs and outputs in host memory and DRAM;
// the on-chip buffers and their staging.
std::vector<MemoryPart> memory_parts(const PlatformConfig& config, const std::vector<LayerShape>& shapes);

// limits.memory, or when it is not given half the machine's physical memory.
std::uint64_t memory_limit(const PlatformConfig& config);

// Throws elstm::Error naming limits.memory and the largest part when the memory_parts add up
// to more than memory_limit.
void check_memory(const PlatformConfig& config, const std::vector<LayerShape>& shapes);

// "1.5 GiB", "512 B".
std::string format_bytes(double bytes);

}  // namespace elstm
