// main.cpp: doctest's main. Each test file holds one chapter's TEST_SUITE, so
// `make test SUITE=ch02-autograd` runs what docs/02-autograd.md talks about.
// The suites run with a fixed thread count (no adaptive threads, engine/core/parallel.h), so a
// check at N threads runs N threads even when CI's machine is busy; one test turns it back on.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "engine/core/parallel.h"

int main(int argc, char** argv) {
  cadenza::set_adaptive_threads(false);
  return doctest::Context(argc, argv).run();
}
