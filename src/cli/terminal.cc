#include "cli/terminal.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace cm::cli {
namespace {

class RawMode {
 public:
  RawMode() {
    ok_ = ::tcgetattr(STDIN_FILENO, &saved_) == 0;
    if (!ok_) return;
    termios raw = saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ISIG);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    ::tcsetattr(STDIN_FILENO, TCSANOW, &raw);
  }
  ~RawMode() {
    if (ok_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }

 private:
  termios saved_{};
  bool ok_ = false;
};

int ReadByte() {
  unsigned char c;
  return ::read(STDIN_FILENO, &c, 1) == 1 ? c : -1;
}

}  // namespace

Terminal::Terminal() : tty_(::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO)) {}

void Terminal::Print(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

std::optional<std::string> Terminal::ReadLine() {
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  size_t start = line.find_first_not_of(' ');
  return start == std::string::npos ? "" : line.substr(start);
}

std::optional<size_t> Terminal::ChooseRaw(const std::vector<std::string>& options, size_t def) {
  size_t cur = def;
  auto draw = [&](bool first) {
    if (!first) Print("\033[" + std::to_string(options.size()) + "A");
    for (size_t i = 0; i < options.size(); ++i) {
      Print("\r\033[K" + std::string(i == cur ? "  \033[1;36m> " : "    ") + std::to_string(i + 1) + ") " + options[i] +
            (i == cur ? "\033[0m" : "") + "\n");
    }
  };
  RawMode raw;
  draw(true);
  while (true) {
    int c = ReadByte();
    if (c < 0 || c == 3 || c == 4) return std::nullopt;  // EOF, Ctrl-C, Ctrl-D
    if (c == '\r' || c == '\n') return cur;
    if (c >= '1' && c <= '9' && static_cast<size_t>(c - '1') < options.size()) {
      cur = static_cast<size_t>(c - '1');
      draw(false);
      return cur;
    }
    if (c == 27 && ReadByte() == '[') {
      int k = ReadByte();
      if (k == 'A' && cur > 0) --cur;
      if (k == 'B' && cur + 1 < options.size()) ++cur;
      draw(false);
    } else if (c == 'k' && cur > 0) {
      --cur;
      draw(false);
    } else if (c == 'j' && cur + 1 < options.size()) {
      ++cur;
      draw(false);
    }
  }
}

std::optional<size_t> Terminal::Choose(const std::string& question, const std::vector<std::string>& options, size_t def) {
  if (tty_) {
    Print("\n" + question + "  (arrow keys or number, Enter to choose)\n");
    return ChooseRaw(options, def);
  }
  while (true) {
    Print("\n" + question + "\n");
    for (size_t i = 0; i < options.size(); ++i) Print("  " + std::to_string(i + 1) + ") " + options[i] + "\n");
    Print("Choose 1-" + std::to_string(options.size()) + " [" + std::to_string(def + 1) + "]: ");
    auto line = ReadLine();
    if (!line) return std::nullopt;
    if (line->empty()) return def;
    try {
      size_t n = std::stoul(*line);
      if (n >= 1 && n <= options.size()) return n - 1;
    } catch (...) {
    }
    Print("Please answer with a number from 1 to " + std::to_string(options.size()) + ".\n");
  }
}

std::optional<std::string> Terminal::Ask(const std::string& question, const std::string& def,
                                         const std::function<std::string(const std::string&)>& check) {
  while (true) {
    Print(question + (def.empty() ? "" : " [" + def + "]") + ": ");
    auto line = ReadLine();
    if (!line) return std::nullopt;
    std::string answer = line->empty() ? def : *line;
    std::string problem = check ? check(answer) : "";
    if (problem.empty()) return answer;
    Print("  " + problem + "\n");
  }
}

std::optional<bool> Terminal::Confirm(const std::string& question, bool def) {
  while (true) {
    Print(question + (def ? " [Y/n]: " : " [y/N]: "));
    auto line = ReadLine();
    if (!line) return std::nullopt;
    if (line->empty()) return def;
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>((*line)[0])));
    if (c == 'y') return true;
    if (c == 'n') return false;
    Print("  Please answer y or n.\n");
  }
}

}  // namespace cm::cli
