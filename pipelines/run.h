// run.h: how every program ends when something goes wrong: one line on stderr that
// names the program and the problem (Cadenza's errors carry "[op] problem — hint";
// the MIDI reader's add its error code), and exit status 1. Used by the cadenza CLI
// and the demos, so none of them repeats the catch blocks.
// Chapter: docs/05-midi-and-piano-rolls.md ("Reading leniently, with diagnostics").
#pragma once
#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "engine/core/cpu.h"
#include "engine/core/error.h"
#include "music/midi.h"

namespace pipelines {

// Runs body() and returns its exit status, or 1 after printing the error. A bad CADENZA_ISA
// (engine/core/cpu.h) is reported here, before any work starts.
template <class F>
int run_main(const std::string& program, F body) {
  try {
    cadenza::cpu_capability();
    return body();
  } catch (const cadenza::Error& e) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), e.what());
  } catch (const music::MidiError& e) {
    std::fprintf(stderr, "%s: %s [%s]\n", program.c_str(), e.what(), e.code.c_str());
  } catch (const std::bad_alloc&) {  // an allocation outside a tensor
    std::fprintf(stderr, "%s: out of memory — make the model, the batch or the data smaller\n", program.c_str());
  } catch (const std::exception& e) { std::fprintf(stderr, "%s: %s\n", program.c_str(), e.what()); }
  return 1;
}

}  // namespace pipelines
