// A SentencePiece tokenizer: reads a .model file and encodes text to ids exactly
// as the sentencepiece library (unigram models, nmt_nfkc-style precompiled
// normalisation, user-defined symbols, byte fallback) does.
//
// Why not libsentencepiece: Debian's build carries its own protobuf 3.14 with
// exported symbols. In one process with libprotobuf 3.21 (the ONNX loader) the
// two interpose and the program aborts at start-up. The model file is a plain
// protobuf message that needs a few dozen lines to read, and encoding is a
// normaliser plus a Viterbi search over a trie; doing both here keeps the
// tokenizer in the library with no extra shared object. tests/text checks the
// ids against the Python sentencepiece package.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace saywhen::text {

class SentencePiece {
 public:
  // Throws saywhen::Error naming the file on anything it cannot read or encode
  // with (a model type other than unigram, a broken normalisation table, ...).
  static SentencePiece load(const std::string& path);
  static SentencePiece from_bytes(std::string_view bytes, const std::string& name);

  // Appends the ids of `text` (valid UTF-8) to `out`. Thread-safe.
  void encode(std::string_view text, std::vector<int32_t>& out) const;
  std::vector<int32_t> encode(std::string_view text) const {
    std::vector<int32_t> ids;
    encode(text, ids);
    return ids;
  }
  // The id of a piece, or the unknown id when the vocabulary has no such piece
  // (as SentencePieceProcessor::PieceToId).
  int32_t piece_to_id(std::string_view piece) const;
  bool has_piece(std::string_view piece) const;
  const std::string& id_to_piece(int32_t id) const { return pieces_[static_cast<size_t>(id)].text; }
  int32_t vocab_size() const { return static_cast<int32_t>(pieces_.size()); }
  int32_t unk_id() const { return unk_id_; }

  // The normalised form the encoder segments ("▁hello▁world"); for tests.
  std::string normalize(std::string_view text) const;

 private:
  enum PieceType : int { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };
  struct Piece {
    std::string text;
    float score = 0;
    int type = kNormal;
  };
  // A byte trie over the pieces the segmenter may use (normal, user-defined,
  // unused). Children of a node are contiguous in `edges_`, sorted by byte.
  struct TrieNode {
    int32_t value = -1;  // piece id ending here
    uint32_t first_edge = 0;
    uint32_t num_edges = 0;
  };
  struct TrieEdge {
    uint8_t byte;
    uint32_t child;
  };

  void build_trie();
  // The normalised replacement for the longest rule at the start of `in` and
  // the number of input bytes it consumes.
  std::pair<std::string_view, size_t> normalize_prefix(std::string_view in) const;
  size_t user_defined_prefix(std::string_view in) const;  // 0 if none
  void normalize_into(std::string_view text, std::string& out) const;
  void segment(std::string_view normalized, std::vector<int32_t>& out) const;

  std::string name_;
  std::vector<Piece> pieces_;
  std::unordered_map<std::string, int32_t> normal_ids_;    // normal, user-defined, unused
  std::unordered_map<std::string, int32_t> reserved_ids_;  // control, unknown, byte
  int32_t unk_id_ = -1;
  bool byte_fallback_ = false;
  int32_t byte_ids_[256] = {};
  bool treat_whitespace_as_suffix_ = false;
  bool add_dummy_prefix_ = true;
  bool remove_extra_whitespaces_ = true;
  bool escape_whitespaces_ = true;
  float min_score_ = 0;
  float max_score_ = 0;
  std::vector<TrieNode> nodes_;
  std::vector<TrieEdge> edges_;
  std::vector<std::string> user_defined_;  // for the normaliser's pass-through
  // Precompiled normalisation: a Darts-clone double array (units) whose values
  // index NUL-terminated replacements in `charsmap_strings_`.
  std::vector<uint32_t> charsmap_units_;
  std::string charsmap_strings_;
};

}  // namespace saywhen::text
