// Terminal: the wizard's input and output. On a terminal, choices are made with the arrow keys
// (or their number) in raw mode, restored on every exit path; without a terminal, choices are
// numbered lines read from stdin, so the wizard also works when driven by a script or a pipe.
// Ctrl-C or end of input returns nullopt. One thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cm::cli {

class Terminal {
 public:
  Terminal();
  bool interactive() const { return tty_; }
  void Print(const std::string& text);
  // Index of the chosen option, or nullopt on cancel.
  std::optional<size_t> Choose(const std::string& question, const std::vector<std::string>& options, size_t def = 0);
  // A line of text (default when empty); `check` returns an error message to ask again, or "".
  std::optional<std::string> Ask(const std::string& question, const std::string& def,
                                 const std::function<std::string(const std::string&)>& check = {});
  std::optional<bool> Confirm(const std::string& question, bool def);

 private:
  std::optional<std::string> ReadLine();
  std::optional<size_t> ChooseRaw(const std::vector<std::string>& options, size_t def);
  bool tty_;
};

}  // namespace cm::cli
