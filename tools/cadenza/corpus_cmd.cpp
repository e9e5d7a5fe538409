// corpus_cmd.cpp: `cadenza score IN.tune OUT.mid` and `cadenza corpus [--out DIR]`.
// Chapter: docs/05-midi-and-piano-rolls.md ("The bundled corpus").
#include <cstdio>
#include <cstring>
#include <sys/stat.h>

#include "pipelines/flags.h"
#include "music/corpus.h"

using namespace music;

int cmd_score(int argc, char** argv) {
  const char* usage =
      "usage: cadenza score IN.tune OUT.mid\nCompile a tune in Cadenza's score notation (music/corpus/README.md) to "
      "MIDI.\n";
  if (argc >= 3 && (!std::strcmp(argv[2], "--help") || !std::strcmp(argv[2], "-h"))) {
    std::printf("%s", usage);
    return 0;
  }
  if (argc != 4) {
    std::fprintf(stderr, "cadenza score: needs IN.tune and OUT.mid\n%s", usage);
    return 2;
  }
  try {
    Score s = read_score_file(argv[2]);
    write_midi_file(argv[3], score_to_midi(s));
    std::printf("wrote %s: %s, %d bars\n", argv[3], s.title.c_str(), s.bars);
  } catch (const ScoreError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  } catch (const MidiError& e) {
    std::fprintf(stderr, "cadenza score: %s\n", e.what());
    return 1;
  }
  return 0;
}

int cmd_corpus(int argc, char** argv) {
  flags::Parser args("cadenza corpus", "Check every tune in the bundled corpus and, with --out, write each as MIDI.");
  args.add("dir", "", "the folder of .tune files (default: music/corpus)");
  args.add("out", "", "write NAME.mid for every tune into this folder");
  args.parse(argc, argv, 2);
  try {
    std::string dir = args.str("dir").empty() ? corpus_dir() : args.str("dir");
    std::vector<Score> tunes = load_corpus(dir);
    int bars = 0;
    for (const Score& s : tunes) {
      bars += s.bars;
      MidiFile m = score_to_midi(s);
      if (!args.str("out").empty()) {
        args.make_output_dir(args.str("out"));
        write_midi_file(args.str("out") + "/" + s.name + ".mid", m);
      }
      std::printf("%-34s %-44s %3d bars  %s  %s\n", s.name.c_str(), s.title.substr(0, 44).c_str(), s.bars,
                  (std::to_string(s.meter_num) + "/" + std::to_string(s.meter_den)).c_str(), s.style.c_str());
    }
    std::printf("%zu tunes, %d bars, all valid\n", tunes.size(), bars);
  } catch (const ScoreError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
