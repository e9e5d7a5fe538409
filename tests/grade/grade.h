// grade.h: how a graded exercise's test is declared. Chapter: docs/teaching.md.
//
//   GRADE("7.3", 3, 40, "the CD-k update") { ...doctest checks... }
//
// is a doctest TEST_CASE named "exercise 7.3: the CD-k update" worth 3 points, about 40 minutes
// of work. tests/grade/main.cpp runs each one on its own and prints the score table. The piece
// it grades is the region marked // [exercise:7.3] in the source (tools/student.cpp stubs it).
#pragma once
#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace grade {

struct Exercise {
  std::string id, title;
  int points, minutes;
};

inline std::vector<Exercise>& registry() {
  static std::vector<Exercise> all;
  return all;
}

struct Enrol {
  Enrol(const char* id, int points, int minutes, const char* title) {
    registry().push_back({id, title, points, minutes});
  }
};

}  // namespace grade

#define GRADE_CAT2(a, b) a##b
#define GRADE_CAT(a, b) GRADE_CAT2(a, b)
#define GRADE(id, points, minutes, title)                                                  \
  static const grade::Enrol GRADE_CAT(grade_enrol_, __LINE__)(id, points, minutes, title); \
  TEST_CASE("exercise " id ": " title)
