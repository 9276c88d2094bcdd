#include "text/sentencepiece.h"

#include <algorithm>
#include <cfloat>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "saywhen/runtime.h"

namespace saywhen::text {

namespace {

// Protocol-buffer wire format, the subset a ModelProto uses.
class WireReader {
 public:
  WireReader(std::string_view bytes, const std::string& where)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())), end_(p_ + bytes.size()), where_(where) {}
  bool done() const { return p_ >= end_; }

  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) fail("truncated varint");
      uint8_t b = *p_++;
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    fail("varint longer than 10 bytes");
  }
  // Next field tag; false at the end of the message.
  bool next(uint32_t& field, uint32_t& wire) {
    if (done()) return false;
    uint64_t tag = varint();
    field = static_cast<uint32_t>(tag >> 3);
    wire = static_cast<uint32_t>(tag & 7);
    return true;
  }
  std::string_view bytes() {
    uint64_t n = varint();
    if (n > static_cast<uint64_t>(end_ - p_)) fail("length-delimited field runs past the end");
    std::string_view s(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    return s;
  }
  uint32_t fixed32() {
    if (end_ - p_ < 4) fail("truncated fixed32");
    uint32_t v;
    std::memcpy(&v, p_, 4);
    p_ += 4;
    return v;
  }
  float float32() {
    uint32_t u = fixed32();
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  void skip(uint32_t wire) {
    switch (wire) {
      case 0: varint(); break;
      case 1:
        if (end_ - p_ < 8) fail("truncated fixed64");
        p_ += 8;
        break;
      case 2: bytes(); break;
      case 5: fixed32(); break;
      default: fail("unsupported wire type " + std::to_string(wire));
    }
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(where_ + ": not a SentencePiece model (" + what + ")");
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  const std::string& where_;
};

// Bytes of the UTF-8 sequence led by `c`, as sentencepiece's OneCharLen.
inline size_t one_char_len(char c) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[static_cast<uint8_t>(c) >> 4];
}

// Length of the valid UTF-8 character at the start of `s`, 0 if malformed.
size_t valid_char_len(std::string_view s) {
  const auto* u = reinterpret_cast<const uint8_t*>(s.data());
  size_t n = s.size();
  if (n == 0) return 0;
  if (u[0] < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if ((u[0] & 0xE0) == 0xC0) len = 2, cp = u[0] & 0x1F;
  else if ((u[0] & 0xF0) == 0xE0) len = 3, cp = u[0] & 0x0F;
  else if ((u[0] & 0xF8) == 0xF0) len = 4, cp = u[0] & 0x07;
  else return 0;
  if (n < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((u[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (u[i] & 0x3F);
  }
  static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) return 0;
  return len;
}

constexpr std::string_view kSpaceSymbol = "\xe2\x96\x81";  // U+2581
constexpr float kUnkPenalty = 10.0f;

}  // namespace

SentencePiece SentencePiece::load(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open tokenizer model");
  std::ostringstream ss;
  ss << f.rdbuf();
  return from_bytes(ss.str(), path);
}

SentencePiece SentencePiece::from_bytes(std::string_view bytes, const std::string& name) {
  SentencePiece sp;
  sp.name_ = name;
  int model_type = 1;  // UNIGRAM
  std::string_view charsmap;
  WireReader top(bytes, name);
  uint32_t field, wire;
  while (top.next(field, wire)) {
    if (field == 1 && wire == 2) {  // pieces
      WireReader r(top.bytes(), name);
      Piece p;
      while (r.next(field, wire)) {
        if (field == 1 && wire == 2) p.text = std::string(r.bytes());
        else if (field == 2 && wire == 5) p.score = r.float32();
        else if (field == 3 && wire == 0) p.type = static_cast<int>(r.varint());
        else r.skip(wire);
      }
      sp.pieces_.push_back(std::move(p));
    } else if (field == 2 && wire == 2) {  // trainer_spec
      WireReader r(top.bytes(), name);
      while (r.next(field, wire)) {
        if (field == 3 && wire == 0) model_type = static_cast<int>(r.varint());
        else if (field == 24 && wire == 0) sp.treat_whitespace_as_suffix_ = r.varint() != 0;
        else if (field == 35 && wire == 0) sp.byte_fallback_ = r.varint() != 0;
        else r.skip(wire);
      }
    } else if (field == 3 && wire == 2) {  // normalizer_spec
      WireReader r(top.bytes(), name);
      while (r.next(field, wire)) {
        if (field == 2 && wire == 2) charsmap = r.bytes();
        else if (field == 3 && wire == 0) sp.add_dummy_prefix_ = r.varint() != 0;
        else if (field == 4 && wire == 0) sp.remove_extra_whitespaces_ = r.varint() != 0;
        else if (field == 5 && wire == 0) sp.escape_whitespaces_ = r.varint() != 0;
        else r.skip(wire);
      }
    } else {
      top.skip(wire);
    }
  }
  if (model_type != 1)
    throw Error(name + ": SentencePiece model type " + std::to_string(model_type) +
                " is not supported (only unigram, type 1)");
  if (sp.pieces_.empty()) throw Error(name + ": SentencePiece model has no pieces");

  sp.min_score_ = FLT_MAX;
  sp.max_score_ = FLT_MIN;  // as sentencepiece: the bonus of user-defined symbols derives from it
  for (size_t i = 0; i < sp.pieces_.size(); ++i) {
    const Piece& p = sp.pieces_[i];
    auto id = static_cast<int32_t>(i);
    if (p.text.empty()) throw Error(name + ": piece " + std::to_string(i) + " is empty");
    bool normal = p.type == kNormal || p.type == kUserDefined || p.type == kUnused;
    if (!(normal ? sp.normal_ids_ : sp.reserved_ids_).emplace(p.text, id).second)
      throw Error(name + ": piece '" + p.text + "' is defined twice");
    if (p.type == kUserDefined) sp.user_defined_.push_back(p.text);
    if (p.type == kUnknown) {
      if (sp.unk_id_ >= 0) throw Error(name + ": more than one unknown piece");
      sp.unk_id_ = id;
    }
    if (p.type == kNormal) {
      sp.min_score_ = std::min(sp.min_score_, p.score);
      sp.max_score_ = std::max(sp.max_score_, p.score);
    }
  }
  if (sp.unk_id_ < 0) throw Error(name + ": SentencePiece model has no unknown piece");
  for (int b = 0; b < 256; ++b) {
    char piece[8];
    std::snprintf(piece, sizeof piece, "<0x%02X>", b);
    sp.byte_ids_[b] = sp.piece_to_id(piece);
  }

  if (!charsmap.empty()) {
    uint32_t trie_bytes = 0;
    if (charsmap.size() <= 4) throw Error(name + ": normalisation table is broken (too short)");
    std::memcpy(&trie_bytes, charsmap.data(), 4);
    if (trie_bytes > charsmap.size() - 4 || trie_bytes % 4 != 0 || trie_bytes == 0)
      throw Error(name + ": normalisation table is broken (trie size " + std::to_string(trie_bytes) + ")");
    sp.charsmap_units_.resize(trie_bytes / 4);
    std::memcpy(sp.charsmap_units_.data(), charsmap.data() + 4, trie_bytes);
    sp.charsmap_strings_ = std::string(charsmap.substr(4 + trie_bytes));
  }
  sp.build_trie();
  return sp;
}

void SentencePiece::build_trie() {
  // Built through a map-based trie, then flattened breadth-first.
  struct Tmp {
    int32_t value = -1;
    std::map<uint8_t, size_t> kids;
  };
  std::vector<Tmp> tmp(1);
  for (size_t i = 0; i < pieces_.size(); ++i) {
    const Piece& p = pieces_[i];
    if (p.type != kNormal && p.type != kUserDefined && p.type != kUnused) continue;
    size_t n = 0;
    for (char c : p.text) {
      auto b = static_cast<uint8_t>(c);
      auto it = tmp[n].kids.find(b);
      if (it == tmp[n].kids.end()) {
        tmp.emplace_back();
        it = tmp[n].kids.emplace(b, tmp.size() - 1).first;
      }
      n = it->second;
    }
    tmp[n].value = static_cast<int32_t>(i);
  }
  nodes_.assign(tmp.size(), TrieNode{});
  edges_.clear();
  std::vector<size_t> order{0}, index(tmp.size());
  index[0] = 0;
  for (size_t q = 0; q < order.size(); ++q) {
    const Tmp& t = tmp[order[q]];
    TrieNode& node = nodes_[q];
    node.value = t.value;
    node.first_edge = static_cast<uint32_t>(edges_.size());
    node.num_edges = static_cast<uint32_t>(t.kids.size());
    for (const auto& [b, child] : t.kids) {
      index[child] = order.size();
      order.push_back(child);
      edges_.push_back({b, static_cast<uint32_t>(index[child])});
    }
  }
}

int32_t SentencePiece::piece_to_id(std::string_view piece) const {
  std::string key(piece);
  if (auto it = reserved_ids_.find(key); it != reserved_ids_.end()) return it->second;
  if (auto it = normal_ids_.find(key); it != normal_ids_.end()) return it->second;
  return unk_id_;
}

bool SentencePiece::has_piece(std::string_view piece) const {
  std::string key(piece);
  return reserved_ids_.count(key) || normal_ids_.count(key);
}

size_t SentencePiece::user_defined_prefix(std::string_view in) const {
  size_t best = 0;
  for (const std::string& s : user_defined_)
    if (s.size() > best && in.substr(0, s.size()) == s) best = s.size();
  return best;
}

std::pair<std::string_view, size_t> SentencePiece::normalize_prefix(std::string_view in) const {
  if (size_t n = user_defined_prefix(in)) return {in.substr(0, n), n};
  if (!charsmap_units_.empty()) {
    // Darts-clone common-prefix search; the longest match wins.
    const uint32_t* units = charsmap_units_.data();
    const size_t num_units = charsmap_units_.size();
    auto offset = [](uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); };
    size_t longest = 0;
    uint32_t value = 0;
    size_t id = offset(units[0]);
    for (size_t i = 0; i < in.size(); ++i) {
      auto c = static_cast<uint8_t>(in[i]);
      id ^= c;
      if (id >= num_units) break;
      uint32_t u = units[id];
      if ((u & ((1u << 31) | 0xFFu)) != c) break;
      id ^= offset(u);
      if ((u >> 8) & 1) {
        if (id >= num_units) break;
        longest = i + 1;
        value = units[id] & ((1u << 31) - 1);
      }
    }
    if (longest > 0) {
      if (value >= charsmap_strings_.size()) throw Error(name_ + ": normalisation table is broken (bad value)");
      const char* s = charsmap_strings_.data() + value;
      size_t len = strnlen(s, charsmap_strings_.size() - value);
      return {std::string_view(s, len), longest};
    }
  }
  size_t n = valid_char_len(in);
  if (n == 0) return {"\xEF\xBF\xBD", 1};  // malformed byte: U+FFFD, one byte consumed
  return {in.substr(0, n), n};
}

void SentencePiece::normalize_into(std::string_view in, std::string& out) const {
  out.clear();
  if (remove_extra_whitespaces_) {
    while (!in.empty()) {
      auto [s, n] = normalize_prefix(in);
      if (s != " ") break;
      in.remove_prefix(n);
    }
  }
  if (in.empty()) return;
  auto add_ws = [&] { out += escape_whitespaces_ ? kSpaceSymbol : std::string_view(" "); };
  if (!treat_whitespace_as_suffix_ && add_dummy_prefix_) add_ws();
  bool prev_space = remove_extra_whitespaces_;
  while (!in.empty()) {
    auto [s, n] = normalize_prefix(in);
    while (prev_space && !s.empty() && s.front() == ' ') s.remove_prefix(1);
    if (!s.empty()) {
      for (char c : s) {
        if (escape_whitespaces_ && c == ' ') out += kSpaceSymbol;
        else out += c;
      }
      prev_space = s.back() == ' ';
    }
    in.remove_prefix(n);
    if (!remove_extra_whitespaces_) prev_space = false;
  }
  if (remove_extra_whitespaces_) {
    std::string_view ws = escape_whitespaces_ ? kSpaceSymbol : std::string_view(" ");
    while (out.size() >= ws.size() && std::string_view(out).substr(out.size() - ws.size()) == ws)
      out.resize(out.size() - ws.size());
  }
  if (treat_whitespace_as_suffix_ && add_dummy_prefix_) add_ws();
}

std::string SentencePiece::normalize(std::string_view text) const {
  std::string out;
  normalize_into(text, out);
  return out;
}

void SentencePiece::segment(std::string_view s, std::vector<int32_t>& out) const {
  // Viterbi over a lattice generated on the fly, as sentencepiece's
  // EncodeOptimized. Path scores are summed in float and a later candidate
  // must be strictly better: exact ties between segmentations ("66"+"6" vs
  // "6"+"66") then break the way the Python package (0.2.x) breaks them.
  struct Best {
    int32_t id = -1;
    float score = 0;
    int starts_at = -1;
  };
  const int size = static_cast<int>(s.size());
  const float unk_score = min_score_ - kUnkPenalty;
  std::vector<Best> best(static_cast<size_t>(size) + 1);
  int start = 0;
  while (start < size) {
    const float till_here = best[static_cast<size_t>(start)].score;
    const int mblen = std::min<int>(static_cast<int>(one_char_len(s[static_cast<size_t>(start)])), size - start);
    bool has_single = false;
    uint32_t node = 0;
    for (int pos = start; pos < size; ++pos) {
      const TrieNode& n = nodes_[node];
      auto b = static_cast<uint8_t>(s[static_cast<size_t>(pos)]);
      const TrieEdge* first = edges_.data() + n.first_edge;
      const TrieEdge* last = first + n.num_edges;
      const TrieEdge* e = std::lower_bound(first, last, b, [](const TrieEdge& x, uint8_t v) { return x.byte < v; });
      if (e == last || e->byte != b) break;
      node = e->child;
      int32_t id = nodes_[node].value;
      if (id < 0) continue;
      const Piece& p = pieces_[static_cast<size_t>(id)];
      if (p.type == kUnused) continue;
      const size_t length = static_cast<size_t>(pos + 1 - start);
      const float score = p.type == kUserDefined ? static_cast<float>(static_cast<float>(length) * max_score_ - 0.1)
                                                 : p.score;
      const float candidate = score + till_here;
      Best& target = best[static_cast<size_t>(pos + 1)];
      if (target.starts_at == -1 || candidate > target.score) {
        target.score = candidate;
        target.starts_at = start;
        target.id = id;
      }
      if (!has_single && static_cast<int>(length) == mblen) has_single = true;
    }
    if (!has_single) {
      Best& target = best[static_cast<size_t>(start + mblen)];
      const float candidate = unk_score + till_here;
      if (target.starts_at == -1 || candidate > target.score) {
        target.score = candidate;
        target.starts_at = start;
        target.id = unk_id_;
      }
    }
    start += mblen;
  }
  // Backtrack, then emit in order (byte fallback splits unknown pieces).
  size_t first = out.size();
  for (int end = size; end > 0;) {
    const Best& b = best[static_cast<size_t>(end)];
    if (b.id == unk_id_ && byte_fallback_) {
      for (int i = end - 1; i >= b.starts_at; --i) out.push_back(byte_ids_[static_cast<uint8_t>(s[static_cast<size_t>(i)])]);
    } else {
      out.push_back(b.id);
    }
    end = b.starts_at;
  }
  std::reverse(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
  // Without byte fallback, a run of unknown characters is one unknown piece
  // (sentencepiece merges them when it builds its output).
  if (!byte_fallback_) {
    auto begin = out.begin() + static_cast<std::ptrdiff_t>(first);
    out.erase(std::unique(begin, out.end(), [&](int32_t a, int32_t b) { return a == unk_id_ && b == unk_id_; }),
              out.end());
  }
}

void SentencePiece::encode(std::string_view text, std::vector<int32_t>& out) const {
  std::string normalized;
  normalize_into(text, normalized);
  if (!normalized.empty()) segment(normalized, out);
}

}  // namespace saywhen::text
