// cadenza: the command-line front door. Each subcommand answers --help.
// Here: `info`, `version` and `inspect` (a checkpoint's tensors). Elsewhere in this
// folder: `midi` (midi_cmd.cpp), `render` and `roll` (render_cmd.cpp), `score` and
// `corpus` (corpus_cmd.cpp), the RBM's train/sample/eval (rbm_cmd.cpp, chapter 7),
// the sequence models' train/eval (seq_cmd.cpp, chapters 8-10), the GAN's train/sample/eval
// (gan_cmd.cpp, chapter 12).
// Chapter: README.md ("The command-line tool"); errors end as pipelines/run.h says.
#include <cstdio>
#include <cstring>

#include "engine/cadenza.h"
#include "engine/kernels/gemm.h"
#include "pipelines/flags.h"
#include "pipelines/run.h"

using namespace cadenza;

#define CADENZA_VERSION "0.1.0"

static const char* kUsage =
    "usage: cadenza COMMAND [flags]\n"
    "\n"
    "commands:\n"
    "  info       the build: OpenMP threads, element type\n"
    "  midi       read a MIDI file: 'midi inspect', 'midi notes', 'midi events' (see 'cadenza midi --help')\n"
    "  render     synthesise a MIDI file to WAV: cadenza render IN.mid OUT.wav\n"
    "  roll       draw a MIDI file as a piano-roll SVG: cadenza roll IN.mid OUT.svg\n"
    "  score      compile a tune in the score notation to MIDI: cadenza score IN.tune OUT.mid\n"
    "  corpus     check the bundled corpus (music/corpus) and optionally write it as MIDI\n"
    "  inspect    list the tensors and metadata of a .safetensors or .npy file\n"
    "  train      train an RBM on MIDI files (default: the bundled corpus) or a polyphonic benchmark;\n"
    "             with --model lstm|gru|tcn|rnn-nade, a sequence model on a polyphonic benchmark;\n"
    "             with --model gan, a GAN on two-track 4-bar phrases (--loss minimax|nonsat|lsgan|wgan-gp|hinge)\n"
    "  sample     write music sampled from a trained RBM or GAN: MIDI, WAV, SVG (and the RBM's report)\n"
    "  eval       an RBM's reconstruction error, pseudo-log-likelihood and log-likelihood (AIS),\n"
    "             sequence models' test NLL and accuracy beside the published numbers, or a GAN's\n"
    "             phrases measured beside held-out real ones\n"
    "  version    print the version\n"
    "\n"
    "Run 'cadenza COMMAND --help' for a command's flags.\n";

int cmd_midi(int argc, char** argv);        // midi_cmd.cpp
int cmd_render(int argc, char** argv);      // render_cmd.cpp
int cmd_roll(int argc, char** argv);        // render_cmd.cpp
int cmd_score(int argc, char** argv);       // corpus_cmd.cpp
int cmd_train(int argc, char** argv);       // rbm_cmd.cpp
int cmd_sample(int argc, char** argv);      // rbm_cmd.cpp
int cmd_eval(int argc, char** argv);        // rbm_cmd.cpp
int cmd_train_seq(int argc, char** argv);   // seq_cmd.cpp
int cmd_eval_seq(int argc, char** argv);    // seq_cmd.cpp
int cmd_train_gan(int argc, char** argv);   // gan_cmd.cpp
int cmd_sample_gan(int argc, char** argv);  // gan_cmd.cpp
int cmd_eval_gan(int argc, char** argv);    // gan_cmd.cpp
// The frame models (--model lstm|gru|tcn|rnn-nade) have their own train/eval.
static std::string model_flag(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    std::string v = a.rfind("--model=", 0) == 0 ? a.substr(8) : (a == "--model" && i + 1 < argc ? argv[i + 1] : "");
    if (!v.empty()) return v;
  }
  return "rbm";
}
// The "model" a --checkpoint's metadata names ("" without a --checkpoint).
static std::string checkpoint_model(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    std::string v =
        a.rfind("--checkpoint=", 0) == 0 ? a.substr(13) : (a == "--checkpoint" && i + 1 < argc ? argv[i + 1] : "");
    if (v.empty()) continue;
    v = v.substr(0, v.find(','));
    auto md = io::load_safetensors(v).metadata;
    return md.count("model") ? md["model"] : "";
  }
  return "";
}
int cmd_corpus(int argc, char** argv);  // corpus_cmd.cpp

static int cmd_info(int argc, char** argv) {
  flags::Parser args("cadenza info", "Print what this build of Cadenza uses.");
  args.parse(argc, argv, 2);
  std::printf("cadenza %s\nelement type: %s\ngemm kernel: %s\nthreads: %d (OpenMP %s)\n", CADENZA_VERSION,
              sizeof(real) == 4 ? "float32" : "float64", kernels::gemm_kernel_name(), num_threads(),
#ifdef _OPENMP
              "on"
#else
              "off"
#endif
  );
  const CacheSizes c = cpu_cache_sizes();
  const kernels::GemmBlocking b = kernels::gemm_blocking();
  std::printf("SIMD level: %s (this CPU's best: %s; CADENZA_ISA=portable|avx2|avx512 forces one)\n",
              cpu_capability_name(cpu_capability()), cpu_capability_name(cpu_best_capability()));
  std::printf("caches per core: L1d %lld KB, L2 %lld KB; gemm blocks: kc %lld (%lld for many rows), mc %lld\n",
              (long long)(c.l1d >> 10), (long long)(c.l2 >> 10), (long long)b.kc, (long long)b.kc_deep,
              (long long)b.mc);
  return 0;
}

static int cmd_inspect(int argc, char** argv) {
  flags::Parser args("cadenza inspect",
                     "List the tensors in a checkpoint (.safetensors) or array (.npy).\n"
                     "usage: cadenza inspect --file PATH");
  args.add("file", "", "the file to read");
  args.parse(argc, argv, 2);
  std::string path = args.str("file");
  if (path.empty()) args.die("--file is required", "e.g. cadenza inspect --file out/mlp-demo/model.safetensors");
  if (path.size() > 4 && path.substr(path.size() - 4) == ".npy") {
    Tensor t = io::load_npy(path);
    std::printf("%s: %s\n", path.c_str(), shape_str(t.shape()).c_str());
    return 0;
  }
  io::TensorFile f = io::load_safetensors(path);
  for (auto& [k, v] : f.metadata) std::printf("metadata %s = %s\n", k.c_str(), v.c_str());
  int64_t total = 0;
  for (auto& [name, t] : f.tensors) {
    std::printf("%-32s %s\n", name.c_str(), shape_str(t.shape()).c_str());
    total += t.numel();
  }
  std::printf("%zu tensors, %lld numbers\n", f.tensors.size(), (long long)total);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    std::printf("%s", kUsage);
    return argc < 2 ? 2 : 0;
  }
  std::string cmd = argv[1];
  int rc = pipelines::run_main("cadenza " + cmd, [&]() -> int {
    if (cmd == "info") return cmd_info(argc, argv);
    if (cmd == "inspect") return cmd_inspect(argc, argv);
    if (cmd == "midi") return cmd_midi(argc, argv);
    if (cmd == "render") return cmd_render(argc, argv);
    if (cmd == "roll") return cmd_roll(argc, argv);
    if (cmd == "score") return cmd_score(argc, argv);
    if (cmd == "train") {
      const std::string model = model_flag(argc, argv);
      return model == "gan"   ? cmd_train_gan(argc, argv)
             : model != "rbm" ? cmd_train_seq(argc, argv)
                              : cmd_train(argc, argv);
    }
    const std::string ckpt = cmd == "sample" || cmd == "eval" ? checkpoint_model(argc, argv) : "";
    if (cmd == "sample") return ckpt == "gan" ? cmd_sample_gan(argc, argv) : cmd_sample(argc, argv);
    if (cmd == "eval") {
      if (ckpt == "gan") return cmd_eval_gan(argc, argv);
      return ckpt.rfind("frame-", 0) == 0 ? cmd_eval_seq(argc, argv) : cmd_eval(argc, argv);
    }
    if (cmd == "corpus") return cmd_corpus(argc, argv);
    if (cmd == "version" || cmd == "--version") {
      std::printf("cadenza %s\n", CADENZA_VERSION);
      return 0;
    }
    return -1;  // not a command
  });
  if (rc >= 0) return rc;
  std::fprintf(stderr, "cadenza: unknown command '%s' — run 'cadenza --help' for the list\n", cmd.c_str());
  return 2;
}
