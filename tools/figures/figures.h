// figures.h: the chapters' figures, each a function returning an SVG (tools/figures/main.cpp
// lists them and writes or checks docs/figures/). The engine's figures and the music figures live in
// separate files, because only pipelines/ may join engine/ and music/ (docs/STYLE.md, "Layers").
// Chapter: docs/README.md (the course map).
#pragma once
#include <string>

namespace figures {

// Colours and a printf helper, shared by both files.
extern const char *const kInk, *const kGrid, *const kBlue, *const kOrange, *const kGreen, *const kLight, *const kPale;
std::string fmt(const char* f, double v);

// engine_figures.cpp: drawn from tensors, autograd and the optimisers
std::string strides_figure();       // chapter 1
std::string broadcast_figure();     // chapter 1
std::string graph_figure();         // chapter 2
std::string fd_error_figure();      // chapter 3
std::string optimisers_figure();    // chapter 4
std::string rbm_figure();           // chapter 7
std::string lstm_figure();          // chapter 8
std::string attention_figure();     // chapter 9
std::string dilation_figure();      // chapter 10
std::string gemm_figure();          // chapter 11
std::string gan_gradient_figure();  // chapter 12
// music_figures.cpp: drawn from the corpus and the synthesiser
std::string pianoroll_figure();  // chapter 5
std::string envelope_figure();   // chapter 6

}  // namespace figures
