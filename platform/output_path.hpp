#pragma once
#include <string>
#include <vector>

namespace elstm {

// How an output path (stats, VCD) is written. Only lstat, stat, readlink and access: deciding
// writes nothing.
struct OutputTarget {
    enum class Kind {
        file,      // a regular file, new or replaced whole: written to a temporary file beside it, renamed over it
        in_place,  // an existing device or FIFO (/dev/null, a named pipe): opened and written as it is
        stream,    // "-", or the very file our stdout or stderr is open on: written through that descriptor
    };
    Kind kind = Kind::file;
    // file: the path with every symbolic link of its last component followed (a link is never
    // replaced: its target is); in_place: the path as given; stream: "-".
    std::string path;
    int fd = -1;    // stream: 1 (stdout) or 2 (stderr)
    // An errno when it cannot be written at all: EISDIR (a folder), ELOOP (a cycle of links),
    // ENOENT (no folder), ENAMETOOLONG, ...; 0 if it can be tried.
    int error = 0;
};

OutputTarget resolve_output(const std::string& path);

// Throws elstm::Error naming `key` unless `path` can be written: not a folder, in a folder
// that exists, and a temporary file can be made there (a name too long for the file system, a
// read-only one, /proc fail here); an existing device or FIFO must be writable (not opened: a
// FIFO without a reader would block). Checked before a run, not after it.
void check_writable(const std::string& path, const std::string& key);

// Creates `<stem>.<unique>.<suffix>` exclusively (mode 0666 less the umask) and returns its
// descriptor, `name` set to it; -1 and errno if it cannot. Two processes never get the same name.
int create_unique(const std::string& stem, const std::string& suffix, std::string* name);

// Where an interrupted run leaves an output instead of `path`, so it never looks complete:
// "traces/x.vcd" → "traces/x.interrupted.vcd" (`extension` ".vcd"; appended if `path` lacks
// it). A device, FIFO or stream (/dev/stdout, -) keeps its name: the content says it was interrupted.
std::string interrupted_path(const std::string& path, const std::string& extension);

// A file the run reads or writes, with what names it in messages: "--stats", "trace.vcd",
// "the config", "workload.layers[0].npy.u".
struct NamedPath {
    std::string key, path;
};

// Throws elstm::Error unless every output is a different file from every other output and from
// every input (compared as files, by device and inode, whatever the spelling: links, "./",
// ".."; an output that does not exist yet by its folder and name). Devices, FIFOs and streams
// may be shared; empty paths are skipped.
void check_distinct(const std::vector<NamedPath>& outputs, const std::vector<NamedPath>& inputs);

}  // namespace elstm
