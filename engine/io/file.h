// file.h: whole-file reads and atomic writes.
//
// write_file_atomic writes to "<path>.tmp-<pid>" and renames it over <path>
// only when every byte is on disk, so an interrupted save (Ctrl-C, a full disk)
// never leaves a half-written checkpoint where the old one was.
// Chapter: docs/04-modules-losses-optimisers.md ("Checkpoints").
#pragma once
#include <string>

namespace cadenza::io {

std::string read_file(const std::string& path, const std::string& op);
void write_file_atomic(const std::string& path, const std::string& bytes, const std::string& op);

}  // namespace cadenza::io
