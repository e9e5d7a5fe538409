// main.cpp: doctest's main. Each test file holds one chapter's TEST_SUITE, so
// `make test SUITE=ch02-autograd` runs what docs/02-autograd.md talks about.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
