// Helpers shared by unit tests: where the repository, the engines and the shared fixtures are,
// and how to run a helper program. Tests that need an engine or a fixture that is absent call
// GTEST_SKIP() with the reason, so a skip is always visible in ctest's output.
#pragma once

#include <string>

namespace cm::test {

std::string SourceDir();                  // repository root
std::string SharedDir();                  // ../shared next to the repository ("" when absent)
std::string FixturesDir();                // SharedDir()/fixtures ("" when absent)
std::string NodeModulesDir();             // .engines/node_modules ("" when not installed)
std::string MakeTempDir(const std::string& tag);  // fresh directory under the test temp root
// Runs `command` through /bin/sh; returns its exit status and captures stdout.
int RunCommand(const std::string& command, std::string* stdout_text = nullptr);
std::string ReadFileOrDie(const std::string& path);
// When CM_REQUIRE_ENGINES=1 (set by `make test`), a missing engine is a failure, not a skip.
bool EnginesRequired();

}  // namespace cm::test
