// render_cmd.cpp: `cadenza render IN.mid OUT.wav` and `cadenza roll IN.mid OUT.svg`.
// Chapters: docs/06-sound-from-numbers.md (render), docs/05-midi-and-piano-rolls.md (roll).
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/stat.h>

#include "pipelines/flags.h"
#include "music/roll_svg.h"
#include "music/synth.h"
#include "pipelines/outputs.h"

using namespace music;

// Reads the two positional arguments IN and OUT; prints usage on --help.
static bool positional(int argc, char** argv, const char* usage, std::string& in, std::string& out) {
  if (argc >= 3 && (!std::strcmp(argv[2], "--help") || !std::strcmp(argv[2], "-h"))) {
    std::printf("%s", usage);
    std::exit(0);
  }
  if (argc < 4 || argv[2][0] == '-' || argv[3][0] == '-') {
    std::fprintf(stderr, "cadenza %s: needs an input and an output file\n%s", argv[1], usage);
    return false;
  }
  in = argv[2], out = argv[3];
  return true;
}

int cmd_render(int argc, char** argv) {
  const char* usage =
      "usage: cadenza render IN.mid OUT.wav [--sample-rate 44100] [--no-sustain]\n"
      "Synthesise a MIDI file to 16-bit PCM WAV with Cadenza's own synthesiser.\n";
  std::string in, out;
  if (!positional(argc, argv, usage, in, out)) return 2;
  flags::Parser args("cadenza render", usage);
  args.add_int("sample-rate", "44100", "samples per second", 8000, 192000);
  args.add_switch("no-sustain", "ignore the sustain pedal (CC64)");
  args.add_int("voices", "64", "notes that may sound at once; a new one beyond takes the oldest one's voice", 1, 1024);
  args.add_switch("no-limit", "render however long it takes (otherwise a file needing over ~10 s of work is refused)");
  args.parse(argc, argv, 4);
  SynthOptions opt;
  opt.sample_rate = (int)args.integer("sample-rate", 8000, 192000);
  opt.sustain_pedal = !args.on("no-sustain");
  opt.max_voices = (int)args.integer("voices", 1, 1024);
  if (args.on("no-limit")) opt.max_voice_samples = 0;
  struct stat st;  // a folder as the output: say so before rendering, not after
  if (::stat(out.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    std::fprintf(stderr, "cadenza render: '%s' is a folder, not a file — give a file name inside it, e.g. %s/out.wav\n",
                 out.c_str(), out.c_str());
    return 1;
  }
  try {
    RenderReport rep;
    Audio a = outputs::render_with_progress(read_midi_file(in), opt, &rep);
    write_wav(out, a);
    std::printf("wrote %s: %.2f s, %d Hz, 16-bit mono\n", out.c_str(), a.seconds(), a.sample_rate);
    if (rep.voices_stolen)
      std::printf("  %lld of %lld notes were cut short: more than %d sounded at once (--voices raises the limit)\n",
                  (long long)rep.voices_stolen, (long long)rep.notes, opt.max_voices);
  } catch (const MidiError& e) {
    std::fprintf(stderr, "%s: %s [%s]\n", in.c_str(), e.what(), e.code.c_str());
    return 1;
  } catch (const WavError& e) {
    std::fprintf(stderr, "cadenza render: %s\n", e.what());
    return 1;
  }
  return 0;
}

int cmd_roll(int argc, char** argv) {
  const char* usage =
      "usage: cadenza roll IN.mid OUT.svg [--title TEXT] [--seconds N]\n"
      "Draw a piano roll: pitch names, bar lines, a colour per track, velocity as shading.\n";
  std::string in, out;
  if (!positional(argc, argv, usage, in, out)) return 2;
  flags::Parser args("cadenza roll", usage);
  args.add("title", "", "a title over the picture (default: the file name)");
  args.add_real("seconds", "0", "draw only the first N seconds (0: all)", 0, 1e6);
  args.parse(argc, argv, 4);
  RollSvgOptions opt;
  opt.title = args.str("title").empty() ? in.substr(in.find_last_of('/') + 1) : args.str("title");
  opt.max_seconds = args.number("seconds", 0, 1e6);
  try {
    outputs::write_roll_svg(out, read_midi_file(in), opt);
    std::printf("wrote %s\n", out.c_str());
  } catch (const MidiError& e) {
    std::fprintf(stderr, "%s: %s [%s]\n", in.c_str(), e.what(), e.code.c_str());
    return 1;
  } catch (const cadenza::Error& e) {
    std::fprintf(stderr, "cadenza roll: %s\n", e.what());
    return 1;
  }
  return 0;
}
