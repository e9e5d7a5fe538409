// corpus.h: the bundled corpus of public-domain tunes (music/corpus/*.tune),
// compiled from the score notation to MIDI in memory, so every example runs on
// a fresh clone with no download. Chapter: docs/05-midi-and-piano-rolls.md.
#pragma once
#include <string>
#include <vector>

#include "music/score.h"

namespace music {

// The folder of .tune files: $CADENZA_CORPUS, else music/corpus under the current directory
// or up to two levels above it, else beside the running program (the repository it was built in).
std::string corpus_dir();
// Every tune, sorted by file name. Throws ScoreError (naming the file and line) on a bad one.
std::vector<Score> load_corpus(const std::string& dir = corpus_dir());

}  // namespace music
