// music_figures.cpp: the figures drawn from the music code: a corpus tune's piano roll and the
// synthesiser's envelopes. See figures.h. Chapters 5 and 6.
#include <stdexcept>

#include "music/corpus.h"
#include "music/roll_svg.h"
#include "music/score.h"
#include "music/synth.h"
#include "plot/svg.h"
#include "tools/figures/figures.h"

namespace figures {

// ---- chapter 5: a corpus tune as a piano roll ----
std::string pianoroll_figure() {
  for (const music::Score& s : music::load_corpus())
    if (s.title == "Greensleeves") {
      music::RollSvgOptions o;
      o.title = "Greensleeves from the bundled corpus: melody and accompaniment tracks";
      o.width = 800, o.height = 340, o.max_seconds = 14;
      return music::piano_roll_svg(music::score_to_midi(s), o);
    }
  throw std::runtime_error("[figures] the corpus has no tune titled Greensleeves — see music/corpus/greensleeves.tune");
}

// ---- chapter 6: the synthesiser's envelopes ----
std::string envelope_figure() {
  std::vector<plot::Series> series;
  int k = 0;
  for (music::Timbre t : {music::Timbre::Piano, music::Timbre::Organ, music::Timbre::Strings, music::Timbre::Reed}) {
    music::Envelope e = music::envelope_for(t, 440);
    plot::Series s{music::timbre_name(t), {}, {}, plot::palette((size_t)k++)};
    for (int i = 0; i <= 300; ++i) {
      double time = i * 0.005;
      s.x.push_back(time), s.y.push_back(e.level(time, 1.0));
    }
    series.push_back(s);
  }
  plot::PlotOptions o;
  o.title = "Envelopes of an A4 held for one second: attack, decay, sustain, release";
  o.xlabel = "seconds after the key went down (released at 1 s)", o.ylabel = "level";
  return plot::line_plot(series, o);
}

}  // namespace figures
