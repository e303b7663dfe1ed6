#pragma once
#include <istream>
#include <string>
#include <vector>

namespace elstm {

// The GTKWave view of a VCD the platform writes to a file: a save file `<stem>.gtkw` beside it
// that loads the VCD with its signals grouped by module (the cell-fusion schedule on top), and
// for every state or code signal a translate filter file `<stem>.<kind>.filter` that shows
// names instead of numbers (steps as signed numbers, −1 as "idle").

// One $var of a VCD: its dotted name below the top scope ("accel.pe0.state") and its width.
struct VcdVar {
    std::string name;
    unsigned bits = 1;
};

// The $var declarations of a VCD's header, in order.
std::vector<VcdVar> vcd_vars(std::istream& vcd);

// Every file of the view of `vcd` ("traces/x.vcd" → traces/x.gtkw, traces/x.port.filter, ...),
// or none when `vcd` is not written as a regular file (a device, "-").
std::vector<std::string> gtkwave_view_files(const std::string& vcd);

// The save file's text: `vcd` and the filter files named by absolute path, so it opens from
// any working directory.
std::string gtkwave_save_file(const std::string& vcd, const std::vector<VcdVar>& vars);

// Writes the view of `vcd` (already written; `vars` its signals) as OutputFiles. False (and
// `error`: "trace.vcd: cannot write x.gtkw: ...") if a file cannot be written.
bool write_gtkwave_view(const std::string& vcd, const std::vector<VcdVar>& vars, std::string* error);

}  // namespace elstm
