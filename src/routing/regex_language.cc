#include "routing/regex_language.h"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <unordered_map>

namespace hardline::routing {
namespace {

using ByteSet = std::bitset<256>;

// Bounds of the inclusion search: beyond them nothing is claimed.
constexpr size_t kMaxProductStates = 20000;
constexpr int kMaxRepeat = 1000;  // RE2's own limit on {m,n}
constexpr int kMaxDepth = 100;    // nesting of groups

struct Node {
  enum class Kind : uint8_t { kBytes, kEmpty, kBegin, kEnd, kConcat, kAlternate, kRepeat };
  Kind kind = Kind::kEmpty;
  ByteSet bytes;
  std::vector<std::unique_ptr<Node>> children;
  int min = 0;
  int max = 0;  // -1: unbounded
};
using NodePtr = std::unique_ptr<Node>;

NodePtr make(Node::Kind kind) {
  auto node = std::make_unique<Node>();
  node->kind = kind;
  return node;
}
NodePtr bytes_node(const ByteSet& bytes) {
  auto node = make(Node::Kind::kBytes);
  node->bytes = bytes;
  return node;
}
ByteSet byte_range(int first, int last) {
  ByteSet set;
  for (int c = first; c <= last; ++c) set.set(static_cast<size_t>(c));
  return set;
}
ByteSet digits() {
  return byte_range('0', '9');
}
ByteSet word() {
  return byte_range('0', '9') | byte_range('A', 'Z') | byte_range('a', 'z') | byte_range('_', '_');
}
ByteSet space() {
  // RE2's \s: [\t\n\f\r ] (no \v).
  ByteSet set;
  for (char c : {'\t', '\n', '\f', '\r', ' '}) set.set(static_cast<unsigned char>(c));
  return set;
}

// A recursive-descent reader of the subset; every failure means "undecided".
class Parser {
 public:
  explicit Parser(std::string_view pattern) : text_(pattern) {}

  NodePtr parse() {
    NodePtr node = alternation(0);
    if (!node || invalid_ || pos_ != text_.size()) return nullptr;
    return node;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  NodePtr alternation(int depth) {
    if (depth > kMaxDepth) return nullptr;
    auto alternate = make(Node::Kind::kAlternate);
    while (true) {
      NodePtr branch = concatenation(depth);
      if (!branch) return nullptr;
      alternate->children.push_back(std::move(branch));
      if (at_end() || peek() != '|') break;
      ++pos_;
    }
    if (alternate->children.size() == 1) return std::move(alternate->children.front());
    return alternate;
  }

  NodePtr concatenation(int depth) {
    auto concat = make(Node::Kind::kConcat);
    while (!at_end() && peek() != '|' && peek() != ')') {
      NodePtr item = repetition(depth);
      if (!item) return nullptr;
      concat->children.push_back(std::move(item));
    }
    return concat;
  }

  NodePtr repetition(int depth) {
    NodePtr atom_node = atom(depth);
    if (!atom_node) return nullptr;
    while (!at_end()) {
      int min = 0;
      int max = 0;
      const char c = peek();
      if (c == '*') {
        min = 0, max = -1, ++pos_;
      } else if (c == '+') {
        min = 1, max = -1, ++pos_;
      } else if (c == '?') {
        min = 0, max = 1, ++pos_;
      } else if (c == '{' && counted(min, max)) {
        // counted() moved past the braces
      } else {
        break;
      }
      if (!at_end() && peek() == '?') ++pos_;  // lazy: the same language
      auto repeat = make(Node::Kind::kRepeat);
      repeat->min = min;
      repeat->max = max;
      repeat->children.push_back(std::move(atom_node));
      atom_node = std::move(repeat);
    }
    return atom_node;
  }

  // {m}, {m,}, {m,n}; anything else leaves pos_ and is a literal '{' to RE2.
  bool counted(int& min, int& max) {
    size_t p = pos_ + 1;
    auto number = [&](int& out) {
      const size_t start = p;
      out = 0;
      while (p < text_.size() && text_[p] >= '0' && text_[p] <= '9' && p - start < 5) {
        out = out * 10 + (text_[p++] - '0');
      }
      // Like RE2, a number with a leading zero ("{03}") is no count: the braces are literal.
      return p > start && !(p - start > 1 && text_[start] == '0');
    };
    if (!number(min)) return false;
    max = min;
    if (p < text_.size() && text_[p] == ',') {
      ++p;
      if (p < text_.size() && text_[p] == '}') {
        max = -1;
      } else if (!number(max)) {
        return false;
      }
    }
    if (p >= text_.size() || text_[p] != '}') return false;
    if (min > kMaxRepeat || max > kMaxRepeat || (max != -1 && max < min)) {
      invalid_ = true;  // RE2 refuses it; never read it as a literal
      return false;
    }
    pos_ = p + 1;
    return true;
  }

  NodePtr atom(int depth) {
    const char c = peek();
    switch (c) {
      case '(':
        return group(depth);
      case '[':
        return char_class();
      case '.': {
        ++pos_;
        ByteSet all;
        all.set();
        all.reset('\n');
        return bytes_node(all);
      }
      case '^':
        ++pos_;
        return make(Node::Kind::kBegin);
      case '$':
        ++pos_;
        return make(Node::Kind::kEnd);
      case '\\':
        return escape();
      case '*':
      case '+':
      case '?':
      case ')':
        return nullptr;
      default:
        ++pos_;
        return bytes_node(byte_range(static_cast<unsigned char>(c), static_cast<unsigned char>(c)));
    }
  }

  NodePtr group(int depth) {
    ++pos_;  // '('
    if (text_.substr(pos_, 2) == "?:") {
      pos_ += 2;
    } else if (text_.substr(pos_, 3) == "?P<" || text_.substr(pos_, 2) == "?<") {
      const size_t close = text_.find('>', pos_);
      if (close == std::string_view::npos) return nullptr;
      pos_ = close + 1;
    } else if (!at_end() && peek() == '?') {
      return nullptr;  // flags such as (?i): not in the subset
    }
    NodePtr inner = alternation(depth + 1);
    if (!inner || at_end() || peek() != ')') return nullptr;
    ++pos_;
    return inner;
  }

  // One escape outside or inside a class: a set of bytes, or an anchor (outside only).
  std::optional<ByteSet> escaped_bytes(bool& begin, bool& end, bool in_class) {
    ++pos_;  // '\'
    if (at_end()) return std::nullopt;
    const char c = text_[pos_++];
    begin = end = false;
    switch (c) {
      case 'd':
        return digits();
      case 'D':
        return ~digits();
      case 'w':
        return word();
      case 'W':
        return ~word();
      case 's':
        return space();
      case 'S':
        return ~space();
      case 'n':
        return byte_range('\n', '\n');
      case 't':
        return byte_range('\t', '\t');
      case 'r':
        return byte_range('\r', '\r');
      case 'f':
        return byte_range('\f', '\f');
      case 'v':
        return byte_range('\v', '\v');
      case 'a':
        return byte_range('\a', '\a');
      case 'A':
      case 'z':
        if (in_class) return std::nullopt;
        (c == 'A' ? begin : end) = true;
        return ByteSet{};
      case 'x':
        return hex();
      default:
        break;
    }
    const auto byte = static_cast<unsigned char>(c);
    const bool punctuation = byte < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                                              (c >= 'A' && c <= 'Z'));
    if (punctuation) return byte_range(byte, byte);
    return std::nullopt;  // \b, \pN, \Q, \C, octal, backreferences...
  }

  std::optional<ByteSet> hex() {
    auto digit = [](char h) -> int {
      if (h >= '0' && h <= '9') return h - '0';
      if (h >= 'a' && h <= 'f') return h - 'a' + 10;
      if (h >= 'A' && h <= 'F') return h - 'A' + 10;
      return -1;
    };
    int value = 0;
    if (!at_end() && peek() == '{') {
      const size_t close = text_.find('}', pos_);
      if (close == std::string_view::npos || close == pos_ + 1 || close - pos_ > 3) {
        return std::nullopt;  // empty, or above 0xFF
      }
      for (size_t i = pos_ + 1; i < close; ++i) {
        if (digit(text_[i]) < 0) return std::nullopt;
        value = value * 16 + digit(text_[i]);
      }
      pos_ = close + 1;
    } else {
      if (pos_ + 2 > text_.size() || digit(text_[pos_]) < 0 || digit(text_[pos_ + 1]) < 0) {
        return std::nullopt;
      }
      value = digit(text_[pos_]) * 16 + digit(text_[pos_ + 1]);
      pos_ += 2;
    }
    return byte_range(value, value);
  }

  NodePtr escape() {
    bool begin = false;
    bool end = false;
    auto set = escaped_bytes(begin, end, false);
    if (!set) return nullptr;
    if (begin) return make(Node::Kind::kBegin);
    if (end) return make(Node::Kind::kEnd);
    return bytes_node(*set);
  }

  // One class member: a single byte (for ranges) or a set (\d inside a class).
  bool class_item(ByteSet& set, int& single) {
    single = -1;
    if (peek() == '[' && pos_ + 1 < text_.size() && text_[pos_ + 1] == ':') return false;
    if (peek() == '\\') {
      bool begin = false;
      bool end = false;
      auto escaped = escaped_bytes(begin, end, true);
      if (!escaped) return false;
      set = *escaped;
      if (set.count() == 1) {
        for (int c = 0; c < 256; ++c) {
          if (set.test(static_cast<size_t>(c))) single = c;
        }
      }
      return true;
    }
    single = static_cast<unsigned char>(text_[pos_++]);
    set = byte_range(single, single);
    return true;
  }

  NodePtr char_class() {
    ++pos_;  // '['
    bool negated = false;
    if (!at_end() && peek() == '^') {
      negated = true;
      ++pos_;
    }
    ByteSet set;
    bool first = true;
    while (!at_end() && (peek() != ']' || first)) {
      first = false;
      ByteSet item;
      int low = -1;
      if (!class_item(item, low)) return nullptr;
      if (pos_ + 1 < text_.size() && peek() == '-' && text_[pos_ + 1] != ']') {
        ++pos_;
        ByteSet ignored;
        int high = -1;
        if (low < 0 || !class_item(ignored, high) || high < low) return nullptr;
        item = byte_range(low, high);
      }
      set |= item;
    }
    if (at_end()) return nullptr;
    ++pos_;  // ']'
    // RE2 lets negated classes match a newline (its ClassNL flag is always on).
    return bytes_node(negated ? ~set : set);
  }

  std::string_view text_;
  size_t pos_ = 0;
  bool invalid_ = false;
};

}  // namespace

// Thompson construction of the automaton from the syntax tree.
struct LanguageBuilder {
  Language& language;
  bool overflow = false;

  uint32_t add() {
    if (language.states_.size() >= Language::kMaxStates) overflow = true;
    if (overflow) return 0;
    language.states_.emplace_back();
    return static_cast<uint32_t>(language.states_.size() - 1);
  }
  Language::State& at(uint32_t state) { return language.states_[state]; }

  // Returns {in, out} of the fragment.
  std::pair<uint32_t, uint32_t> build(const Node& node) {
    if (overflow) return {0, 0};
    switch (node.kind) {
      case Node::Kind::kBytes: {
        const uint32_t in = add();
        const uint32_t out = add();
        if (overflow) return {0, 0};
        at(in).bytes = node.bytes;
        at(in).next = out;
        return {in, out};
      }
      case Node::Kind::kEmpty: {
        const uint32_t state = add();
        return {state, state};
      }
      case Node::Kind::kBegin:
      case Node::Kind::kEnd: {
        const uint32_t in = add();
        const uint32_t out = add();
        if (overflow) return {0, 0};
        (node.kind == Node::Kind::kBegin ? at(in).at_begin : at(in).at_end).push_back(out);
        return {in, out};
      }
      case Node::Kind::kConcat: {
        const uint32_t in = add();
        uint32_t last = in;
        for (const NodePtr& child : node.children) {
          auto [child_in, child_out] = build(*child);
          if (overflow) return {0, 0};
          at(last).epsilon.push_back(child_in);
          last = child_out;
        }
        return {in, last};
      }
      case Node::Kind::kAlternate: {
        const uint32_t in = add();
        const uint32_t out = add();
        for (const NodePtr& child : node.children) {
          auto [child_in, child_out] = build(*child);
          if (overflow) return {0, 0};
          at(in).epsilon.push_back(child_in);
          at(child_out).epsilon.push_back(out);
        }
        return {in, out};
      }
      case Node::Kind::kRepeat:
        break;
    }
    const Node& child = *node.children.front();
    const uint32_t in = add();
    uint32_t last = in;
    for (int i = 0; i < node.min && !overflow; ++i) {
      auto [child_in, child_out] = build(child);
      if (overflow) return {0, 0};
      at(last).epsilon.push_back(child_in);
      last = child_out;
    }
    if (node.max == -1) {
      const uint32_t loop = add();
      auto [child_in, child_out] = build(child);
      if (overflow) return {0, 0};
      at(last).epsilon.push_back(loop);
      at(loop).epsilon.push_back(child_in);
      at(child_out).epsilon.push_back(loop);
      return {in, loop};
    }
    const uint32_t out = add();
    for (int i = node.min; i < node.max && !overflow; ++i) {
      auto [child_in, child_out] = build(child);
      if (overflow) return {0, 0};
      at(last).epsilon.push_back(child_in);
      at(last).epsilon.push_back(out);
      last = child_out;
    }
    if (overflow) return {0, 0};
    at(last).epsilon.push_back(out);
    return {in, out};
  }
};

std::optional<Language> Language::parse(std::string_view pattern) {
  NodePtr tree = Parser(pattern).parse();
  if (!tree) return std::nullopt;
  Language language;
  LanguageBuilder builder{language};
  auto [in, out] = builder.build(*tree);
  if (builder.overflow) return std::nullopt;
  language.start_ = in;
  language.accept_ = out;
  return language;
}

// A set of automaton states, sorted; the subset construction's state.
using StateSet = std::vector<uint32_t>;

struct Simulation {
  // Defined here rather than in the header so that State stays private to Language.
  template <class States>
  static StateSet closure(const States& states, StateSet from, bool begin, bool end) {
    // Visited marks reused across calls (a generation number per call), so that a closure
    // costs what it visits, not the size of the automaton.
    thread_local std::vector<uint32_t> marks;
    thread_local uint32_t generation = 0;
    if (marks.size() < states.size()) marks.resize(states.size(), 0);
    if (++generation == 0) {
      std::fill(marks.begin(), marks.end(), 0);
      generation = 1;
    }
    std::vector<uint32_t> stack(from.begin(), from.end());
    StateSet out;
    while (!stack.empty()) {
      const uint32_t s = stack.back();
      stack.pop_back();
      if (marks[s] == generation) continue;
      marks[s] = generation;
      out.push_back(s);
      for (uint32_t t : states[s].epsilon) stack.push_back(t);
      if (begin) {
        for (uint32_t t : states[s].at_begin) stack.push_back(t);
      }
      if (end) {
        for (uint32_t t : states[s].at_end) stack.push_back(t);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

namespace {

// Byte classes: bytes that every edge of every automaton involved treats alike. One
// representative each, a digit or printable character when the class has one (for examples).
std::vector<unsigned char> representatives(const std::vector<const std::vector<ByteSet>*>& sets) {
  std::map<std::vector<bool>, unsigned char> classes;
  auto rank = [](unsigned char c) {
    return (c >= '0' && c <= '9') ? 0 : (c > 0x20 && c < 0x7f) ? 1 : 2;
  };
  for (int c = 0; c < 256; ++c) {
    std::vector<bool> key;
    for (const auto* list : sets) {
      for (const ByteSet& set : *list) key.push_back(set.test(static_cast<size_t>(c)));
    }
    auto [it, inserted] = classes.emplace(std::move(key), static_cast<unsigned char>(c));
    if (!inserted && rank(static_cast<unsigned char>(c)) < rank(it->second)) {
      it->second = static_cast<unsigned char>(c);
    }
  }
  std::vector<unsigned char> out;
  out.reserve(classes.size());
  for (const auto& entry : classes) out.push_back(entry.second);
  return out;
}

std::string key_of(const std::vector<StateSet>& sets) {
  std::string key;
  for (const StateSet& set : sets) {
    for (uint32_t s : set) key.append(reinterpret_cast<const char*>(&s), sizeof s);
    key.push_back('\xff');
    key.push_back('|');
  }
  return key;
}

}  // namespace

bool Language::empty() const {
  return !example().has_value();
}

namespace {

template <class States>
std::vector<ByteSet> edge_sets(const States& states) {
  std::vector<ByteSet> out;
  for (const auto& state : states) {
    if (state.bytes.any() && std::find(out.begin(), out.end(), state.bytes) == out.end()) {
      out.push_back(state.bytes);
    }
  }
  return out;
}

template <class States>
StateSet step(const States& states, const StateSet& from, unsigned char byte) {
  StateSet next;
  for (uint32_t s : from) {
    if (states[s].bytes.test(byte)) next.push_back(states[s].next);
  }
  return Simulation::closure(states, std::move(next), false, false);
}

template <class States>
bool accepts(const States& states, const StateSet& set, bool initial, uint32_t accept) {
  const StateSet all = Simulation::closure(states, set, initial, true);
  return std::binary_search(all.begin(), all.end(), accept);
}

}  // namespace

std::optional<std::string> Language::example() const {
  const std::vector<ByteSet> sets = edge_sets(states_);
  const std::vector<unsigned char> alphabet = representatives({&sets});
  struct Entry {
    StateSet set;
    std::string text;
  };
  std::deque<Entry> queue;
  std::unordered_map<std::string, bool> seen;
  queue.push_back({Simulation::closure(states_, {start_}, true, false), ""});
  seen[key_of({queue.front().set}) + "^"] = true;
  while (!queue.empty() && seen.size() < kMaxProductStates) {
    Entry entry = std::move(queue.front());
    queue.pop_front();
    if (accepts(states_, entry.set, entry.text.empty(), accept_)) return entry.text;
    for (unsigned char byte : alphabet) {
      StateSet next = step(states_, entry.set, byte);
      if (next.empty()) continue;
      const std::string key = key_of({next});
      if (seen.emplace(key, true).second) {
        queue.push_back({std::move(next), entry.text + static_cast<char>(byte)});
      }
    }
  }
  return std::nullopt;
}

std::optional<Language> Language::combine(std::span<const Language* const> languages) {
  Language out;
  out.states_.emplace_back();  // 0: the start, to every language's start
  out.states_.emplace_back();  // 1: the accept, from every language's accept
  out.start_ = 0;
  out.accept_ = 1;
  for (const Language* language : languages) {
    if (!out.add_to_union(*language)) return std::nullopt;
  }
  return out;
}

bool Language::add_to_union(const Language& other) {
  if (states_.size() + other.states_.size() > kMaxCombinedStates) return false;
  const auto offset = static_cast<uint32_t>(states_.size());
  for (State state : other.states_) {
    for (auto* edges : {&state.epsilon, &state.at_begin, &state.at_end}) {
      for (uint32_t& target : *edges) target += offset;
    }
    state.next += offset;
    states_.push_back(std::move(state));
  }
  states_[start_].epsilon.push_back(offset + other.start_);
  states_[offset + other.accept_].epsilon.push_back(accept_);
  return true;
}

std::optional<Language> Language::concat(const Language& first, const Language& second) {
  if (first.states_.size() + second.states_.size() > kMaxCombinedStates) return std::nullopt;
  Language out = first;
  const auto offset = static_cast<uint32_t>(out.states_.size());
  for (State state : second.states_) {
    for (auto* edges : {&state.epsilon, &state.at_begin, &state.at_end}) {
      for (uint32_t& target : *edges) target += offset;
    }
    state.next += offset;
    out.states_.push_back(std::move(state));
  }
  // RE2's anchors keep their meaning: `second`'s ^ holds only where `first` matched nothing,
  // `first`'s $ only where `second` does (the simulation follows them only there).
  out.states_[first.accept_].epsilon.push_back(offset + second.start_);
  out.accept_ = offset + second.accept_;
  return out;
}

Language Language::after(std::string_view prefix) const {
  if (prefix.empty()) return *this;
  StateSet set = Simulation::closure(states_, {start_}, true, false);
  for (char c : prefix) set = step(states_, set, static_cast<unsigned char>(c));
  Language out = *this;
  // Past the first byte no ^ holds any more.
  for (State& state : out.states_) state.at_begin.clear();
  out.start_ = static_cast<uint32_t>(out.states_.size());
  out.states_.emplace_back();
  out.states_.back().epsilon = std::move(set);
  return out;
}

std::optional<std::optional<std::string>> shared_example(const Language& a, const Language& b) {
  const std::vector<ByteSet> a_sets = edge_sets(a.states_);
  const std::vector<ByteSet> b_sets = edge_sets(b.states_);
  const std::vector<unsigned char> alphabet = representatives({&a_sets, &b_sets});
  struct Entry {
    std::vector<StateSet> pair;
    std::string text;
  };
  std::deque<Entry> queue;
  std::unordered_map<std::string, bool> seen;
  queue.push_back({{Simulation::closure(a.states_, {a.start_}, true, false),
                    Simulation::closure(b.states_, {b.start_}, true, false)},
                   ""});
  seen[key_of(queue.front().pair) + "^"] = true;
  while (!queue.empty()) {
    if (seen.size() > kMaxProductStates) return std::nullopt;
    Entry entry = std::move(queue.front());
    queue.pop_front();
    const bool initial = entry.text.empty();
    if (accepts(a.states_, entry.pair[0], initial, a.accept_) &&
        accepts(b.states_, entry.pair[1], initial, b.accept_)) {
      return std::optional<std::string>(std::move(entry.text));
    }
    for (unsigned char byte : alphabet) {
      std::vector<StateSet> next = {step(a.states_, entry.pair[0], byte),
                                    step(b.states_, entry.pair[1], byte)};
      if (next[0].empty() || next[1].empty()) continue;
      if (seen.emplace(key_of(next), true).second) {
        queue.push_back({std::move(next), entry.text + static_cast<char>(byte)});
      }
    }
  }
  return std::optional<std::string>();
}

std::optional<bool> intersects(const Language& a, const Language& b) {
  const auto shared = shared_example(a, b);
  if (!shared) return std::nullopt;
  return shared->has_value();
}

std::optional<bool> is_subset(const Language& subset, std::span<const Language* const> union_of) {
  std::vector<std::vector<ByteSet>> sets;
  sets.push_back(edge_sets(subset.states_));
  for (const Language* other : union_of) sets.push_back(edge_sets(other->states_));
  std::vector<const std::vector<ByteSet>*> pointers;
  pointers.reserve(sets.size());
  for (const auto& list : sets) pointers.push_back(&list);
  const std::vector<unsigned char> alphabet = representatives(pointers);

  std::vector<StateSet> start;
  start.push_back(Simulation::closure(subset.states_, {subset.start_}, true, false));
  for (const Language* other : union_of) {
    start.push_back(Simulation::closure(other->states_, {other->start_}, true, false));
  }
  std::deque<std::pair<std::vector<StateSet>, bool>> queue;  // sets, initial
  std::unordered_map<std::string, bool> seen;
  // The first tuple is the only one where begin anchors hold: it never shares a key.
  seen[key_of(start) + "^"] = true;
  queue.emplace_back(std::move(start), true);
  while (!queue.empty()) {
    if (seen.size() > kMaxProductStates) return std::nullopt;
    auto [tuple, initial] = std::move(queue.front());
    queue.pop_front();
    if (accepts(subset.states_, tuple[0], initial, subset.accept_)) {
      bool covered = false;
      for (size_t i = 0; i < union_of.size() && !covered; ++i) {
        covered = accepts(union_of[i]->states_, tuple[i + 1], initial, union_of[i]->accept_);
      }
      if (!covered) return false;
    }
    for (unsigned char byte : alphabet) {
      std::vector<StateSet> next;
      next.push_back(step(subset.states_, tuple[0], byte));
      if (next[0].empty()) continue;  // the subset cannot match from here: nothing to cover
      for (size_t i = 0; i < union_of.size(); ++i) {
        next.push_back(step(union_of[i]->states_, tuple[i + 1], byte));
      }
      const std::string key = key_of(next);
      if (seen.emplace(key, true).second) queue.emplace_back(std::move(next), false);
    }
  }
  return true;
}

}  // namespace hardline::routing
