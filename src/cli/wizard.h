// The interactive wizard (`chroma-migrate` with no arguments): asks where the data is and
// where it should go, only the questions that choice needs (each with a default), and returns
// the same Args the flags would give. It also renders the equivalent command line, with
// secrets replaced by '***'. Nothing is written while questions are asked.
#pragma once

#include <optional>
#include <string>

#include "cli/options.h"
#include "cli/terminal.h"

namespace cm::cli {

std::optional<Args> RunWizard(Terminal& term);
std::string EquivalentCommand(const Args& a);

}  // namespace cm::cli
